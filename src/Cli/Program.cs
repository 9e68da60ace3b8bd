Console.Error.WriteLine("engine: commands are being built"); return 1;
