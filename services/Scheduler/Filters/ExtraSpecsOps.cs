using System.Globalization;

namespace Scheduler.Filters;

/// <summary>A host attribute for extra-spec matching: a scalar text, or a list (features, traits).</summary>
public sealed record HostValue(string? Text, IReadOnlyList<string>? Items = null)
{
    public bool Contains(string word) => Items is not null ? Items.Contains(word, StringComparer.Ordinal) : Text?.Contains(word, StringComparison.Ordinal) == true;

    public override string ToString() => Text ?? string.Join(",", Items ?? []);
}

/// <summary>
/// nova's extra-spec operators. A requirement is either a plain value (equal as text) or an
/// operator then operand(s): <c>=</c> (numeric at least), <c>==</c> <c>!=</c> <c>&gt;=</c> <c>&lt;=</c>
/// (numeric), <c>s==</c> <c>s!=</c> <c>s&gt;=</c> <c>s&gt;</c> <c>s&lt;=</c> <c>s&lt;</c> (text, ordinal),
/// <c>&lt;in&gt;</c> (contains), <c>&lt;all-in&gt;</c> (contains all), <c>&lt;or&gt;</c> (one of).
/// </summary>
public static class ExtraSpecsOps
{
    public static bool Match(HostValue? value, string requirement)
    {
        var words = requirement.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var op = words.Length > 0 ? words[0] : "";
        if (op != "<or>" && !IsOperator(op))
            return value is not null && string.Equals(value.ToString(), requirement, StringComparison.Ordinal);
        if (value is null) return false;
        var operands = words[1..];
        if (op == "<or>")
        {
            // <or> a <or> b <or> c: the operands sit at even positions of what follows.
            for (var i = 0; i < operands.Length; i += 2)
                if (string.Equals(operands[i], value.ToString(), StringComparison.Ordinal)) return true;
            return false;
        }
        if (operands.Length == 0) return false;
        var text = value.ToString();
        var operand = operands[0];
        return op switch
        {
            "<in>" => value.Contains(operand),
            "<all-in>" => operands.All(value.Contains),
            "s==" => string.Equals(text, operand, StringComparison.Ordinal),
            "s!=" => !string.Equals(text, operand, StringComparison.Ordinal),
            "s>=" => string.CompareOrdinal(text, operand) >= 0,
            "s>" => string.CompareOrdinal(text, operand) > 0,
            "s<=" => string.CompareOrdinal(text, operand) <= 0,
            "s<" => string.CompareOrdinal(text, operand) < 0,
            _ => Numeric(op, text, operand),
        };
    }

    private static bool IsOperator(string op) => op is "=" or "==" or "!=" or ">=" or "<=" or "s==" or "s!=" or "s>=" or "s>" or "s<=" or "s<" or "<in>" or "<all-in>";

    private static bool Numeric(string op, string text, string operand)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
            || !double.TryParse(operand, NumberStyles.Float, CultureInfo.InvariantCulture, out var y)) return false;
        return op switch
        {
            "=" or ">=" => x >= y,
            "==" => x == y,
            "!=" => x != y,
            "<=" => x <= y,
            _ => false,
        };
    }
}
