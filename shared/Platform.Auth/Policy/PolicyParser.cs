namespace Platform.Auth.Policy;

/// <summary>
/// Parses oslo.policy's rule language: checks (<c>role:x</c>, <c>rule:x</c>, <c>kind:match</c>,
/// <c>@</c>, <c>!</c>) joined by <c>not</c>, <c>and</c>, <c>or</c> (binding in that order) and
/// grouped with parentheses. The empty rule always passes.
/// </summary>
public static class PolicyParser
{
    private enum Kind { Open, Close, And, Or, Not, Check, End }

    private readonly record struct Token(Kind Kind, string Text, int Position);

    public static PolicyCheck Parse(string ruleName, string text)
    {
        var tokens = Tokenize(text);
        if (tokens.Count == 1) return AlwaysCheck.Instance;
        var parser = new Cursor(ruleName, text, tokens);
        var check = parser.Or();
        if (parser.Peek.Kind != Kind.End)
            throw parser.Error(parser.Peek, $"unexpected '{parser.Peek.Text}'");
        return check;
    }

    // Like oslo: words split on whitespace, with '(' peeled off the front and ')' off the back.
    private static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            if (char.IsWhiteSpace(text[i])) { i++; continue; }
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i])) i++;
            var word = text[start..i];

            var lead = 0;
            while (lead < word.Length && word[lead] == '(') tokens.Add(new(Kind.Open, "(", start + lead++));
            var trail = 0;
            while (trail < word.Length - lead && word[word.Length - 1 - trail] == ')') trail++;
            var core = word[lead..(word.Length - trail)];
            if (core.Length > 0)
            {
                var kind = core.ToLowerInvariant() switch { "and" => Kind.And, "or" => Kind.Or, "not" => Kind.Not, _ => Kind.Check };
                tokens.Add(new(kind, core, start + lead));
            }
            for (var t = 0; t < trail; t++) tokens.Add(new(Kind.Close, ")", start + word.Length - trail + t));
        }
        tokens.Add(new(Kind.End, "end of rule", text.Length));
        return tokens;
    }

    private sealed class Cursor(string ruleName, string text, List<Token> tokens)
    {
        private int index;

        public Token Peek => tokens[index];

        // or := and ('or' and)*
        public PolicyCheck Or()
        {
            var parts = new List<PolicyCheck> { And() };
            while (Peek.Kind == Kind.Or) { index++; parts.Add(And()); }
            return parts.Count == 1 ? parts[0] : new OrCheck(parts);
        }

        // and := not ('and' not)*
        private PolicyCheck And()
        {
            var parts = new List<PolicyCheck> { Not() };
            while (Peek.Kind == Kind.And) { index++; parts.Add(Not()); }
            return parts.Count == 1 ? parts[0] : new AndCheck(parts);
        }

        // not := 'not' not | primary
        private PolicyCheck Not()
        {
            if (Peek.Kind != Kind.Not) return Primary();
            index++;
            return new NotCheck(Not());
        }

        // primary := '(' or ')' | check
        private PolicyCheck Primary()
        {
            var token = tokens[index++];
            switch (token.Kind)
            {
                case Kind.Open:
                    var inner = Or();
                    if (Peek.Kind != Kind.Close)
                        throw Error(Peek, $"expected ')' to close the '(' at position {token.Position + 1}, found '{Peek.Text}'");
                    index++;
                    return inner;
                case Kind.Check:
                    return Check(token);
                default:
                    throw Error(token, $"expected a check or '(', found '{token.Text}'");
            }
        }

        private PolicyCheck Check(Token token)
        {
            if (token.Text == "@") return AlwaysCheck.Instance;
            if (token.Text == "!") return NeverCheck.Instance;
            var colon = token.Text.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
                throw Error(token, $"'{token.Text}' is not a check (expected kind:match, '@' or '!')");
            var kind = token.Text[..colon];
            var match = token.Text[(colon + 1)..];
            if (kind is "role" or "rule" && match.Length == 0)
                throw Error(token, $"'{kind}:' needs a name");
            return kind switch
            {
                "role" => new RoleCheck(match),
                "rule" => new RuleCheck(match),
                _ => new GenericCheck(kind, match),
            };
        }

        public PolicyParseException Error(Token at, string problem) => new(ruleName, text, at.Position + 1, problem);
    }
}
