using System.Text.RegularExpressions;
using Newtonsoft.Json.Linq;
using TcWorker.Taskcluster;

namespace TcWorker.LocalQueue.Auth;

/// <summary>
/// A scope expression as the Taskcluster API references write them: a scope template string,
/// <c>{"AllOf": [...]}</c>, <c>{"AnyOf": [...]}</c>, and <c>{"each": template, "for": var, "in": list}</c>
/// inside those. Templates use <c>&lt;param&gt;</c> placeholders.
/// </summary>
internal sealed partial class ScopeExpression
{
    private readonly JToken expression;

    private ScopeExpression(JToken expression) => this.expression = expression;

    /// <summary>Parses the JSON form used in the API references.</summary>
    public static ScopeExpression Parse(string json) => new(Model.QueueJson.Parse(json));

    /// <summary>A single scope template.</summary>
    public static ScopeExpression Single(string template) => new(new JValue(template));

    /// <summary>True when the scopes satisfy the expression with these parameters (strings or string lists).</summary>
    public bool IsSatisfied(IReadOnlyList<string> scopes, IReadOnlyDictionary<string, object> parameters) =>
        Evaluate(expression, scopes, parameters);

    /// <summary>The expression in the JSON form of the API references.</summary>
    public Newtonsoft.Json.Linq.JToken ToJson() => expression.DeepClone();

    /// <summary>The expression with parameters filled in, for error messages.</summary>
    public string Describe(IReadOnlyDictionary<string, object> parameters) => Describe(expression, parameters);

    private static bool Evaluate(JToken expression, IReadOnlyList<string> scopes, IReadOnlyDictionary<string, object> parameters)
    {
        switch (expression)
        {
            case JValue { Type: JTokenType.String } value:
                return ScopeSatisfaction.Satisfies(scopes, Fill((string)value!, parameters));
            case JObject o when o["AllOf"] is JArray all:
                return all.SelectMany(e => Expand(e, parameters)).All(e => Evaluate(e, scopes, parameters));
            case JObject o when o["AnyOf"] is JArray any:
                return any.SelectMany(e => Expand(e, parameters)).Any(e => Evaluate(e, scopes, parameters));
            default:
                throw new InvalidOperationException("Bad scope expression: " + expression);
        }
    }

    /// <summary>Expands an <c>each/for/in</c> element into one string per list item; anything else stays itself.</summary>
    private static IEnumerable<JToken> Expand(JToken element, IReadOnlyDictionary<string, object> parameters)
    {
        if (element is not JObject { } o || o["each"] is not JValue each)
        {
            return [element];
        }

        var variable = (string)o["for"]!;
        var items = parameters.TryGetValue((string)o["in"]!, out var list) && list is IEnumerable<string> strings ? strings : [];
        return items.Select(item => (JToken)new JValue(((string)each!).Replace("<" + variable + ">", item, StringComparison.Ordinal))).ToList();
    }

    private static string Fill(string template, IReadOnlyDictionary<string, object> parameters) =>
        Placeholder().Replace(template, m => parameters.TryGetValue(m.Groups[1].Value, out var v) && v is string s ? s : m.Value);

    private static string Describe(JToken expression, IReadOnlyDictionary<string, object> parameters) => expression switch
    {
        JValue { Type: JTokenType.String } value => Fill((string)value!, parameters),
        JObject o when o["AllOf"] is JArray all => "{AllOf: [" + string.Join(", ", all.SelectMany(e => DescribeElement(e, parameters))) + "]}",
        JObject o when o["AnyOf"] is JArray any => "{AnyOf: [" + string.Join(", ", any.SelectMany(e => DescribeElement(e, parameters))) + "]}",
        _ => expression.ToString(),
    };

    /// <summary>An element described; an <c>each</c> whose list is not known yet (it comes from the body) is shown as its template.</summary>
    private static IEnumerable<string> DescribeElement(JToken element, IReadOnlyDictionary<string, object> parameters) =>
        element is JObject { } o && o["each"] is JValue each && !parameters.ContainsKey((string)o["in"]!)
            ? [$"{Fill((string)each!, parameters)} for each {o["for"]} in {o["in"]}"]
            : Expand(element, parameters).Select(e => Describe(e, parameters));

    [GeneratedRegex("<([a-zA-Z]+)>")]
    private static partial Regex Placeholder();
}
