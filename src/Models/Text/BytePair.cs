namespace Engine.Models.Text;

/// <summary>Packs an ordered pair of token ids into one key whose natural order is (left, right).</summary>
internal static class BytePair
{
    public static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    public static int Left(long key) => (int)(key >> 32);

    public static int Right(long key) => (int)(uint)key;
}
