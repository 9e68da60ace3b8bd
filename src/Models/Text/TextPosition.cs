using System.Text;

namespace Engine.Models.Text;

/// <summary>Human-readable location of a UTF-16 index inside a text, for error messages.</summary>
internal static class TextPosition
{
    /// <summary>"index 17 (line 2, column 5)", with 1-based line and column counted in UTF-16 units.</summary>
    public static string Describe(string text, int index)
    {
        int line = 1, lineStart = 0;
        for (int i = 0; i < index; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }
        return $"index {index} (line {line}, column {index - lineStart + 1})";
    }

    /// <summary>'x' (U+0078), or just the code point for control and invisible characters.</summary>
    public static string DescribeRune(Rune rune)
    {
        var code = $"U+{rune.Value:X4}";
        return Rune.IsControl(rune) || Rune.IsWhiteSpace(rune) ? code : $"'{rune}' ({code})";
    }
}
