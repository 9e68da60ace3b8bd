using Spectre.Console;

namespace Engine.Cli.Output;

/// <summary>
/// A table of figures: the first column (a name) left-aligned, every other column right-aligned. Plain aligned text
/// for pipes and logs (two spaces between columns), a Spectre table on a terminal, where figures never wrap and a
/// long name wraps within the width the figures leave.
/// </summary>
internal static class TextTable
{
    public static void Write(TextWriter output, bool terminal, IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        if (terminal) WriteSpectre(output, columns, rows);
        else WritePlain(output, columns, rows);
    }

    private static void WritePlain(TextWriter output, IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        var widths = columns.Select((c, i) => rows.Select(r => r[i].Length).Append(c.Length).Max()).ToArray();
        output.WriteLine(Line(columns, widths));
        foreach (var row in rows) output.WriteLine(Line(row, widths));
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((cell, i) => i == 0 ? cell.PadRight(widths[i]) : cell.PadLeft(widths[i]))).TrimEnd();

    private static void WriteSpectre(TextWriter output, IReadOnlyList<string> columns, IReadOnlyList<string[]> rows)
    {
        var table = new Table().Border(TableBorder.Simple);
        table.AddColumn(new TableColumn(columns[0]));
        for (int i = 1; i < columns.Count; i++)
            table.AddColumn(new TableColumn(columns[i]) { Alignment = Justify.Right }.NoWrap());
        foreach (var row in rows) table.AddRow(row.Select(Markup.Escape).ToArray());
        TerminalConsole.Create(output).Write(table);
    }
}
