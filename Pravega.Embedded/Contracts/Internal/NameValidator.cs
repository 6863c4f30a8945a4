using System.Buffers;
using System.Globalization;

namespace Pravega.Embedded;

/// <summary>
/// Validates user-supplied names and ids, as Pravega does: a failure is an <see cref="ArgumentException"/> whose
/// <see cref="ArgumentException.ParamName"/> is the caller's parameter name.
/// </summary>
internal static class NameValidator
{
    /// <summary>Longest name or id accepted, in characters.</summary>
    public const int MaxLength = 255;

    // Scope, stream, reader-group, table and synchronizer names: no '_', which marks internal streams.
    private static readonly SearchValues<char> NameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-");

    // Reader and writer ids: '_' allowed as well.
    private static readonly SearchValues<char> IdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-");

    /// <summary>
    /// Checks a scope, stream, reader-group, table or synchronizer name: 1..255 characters of <c>[A-Za-z0-9.-]</c>.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">The name is empty, too long, or holds another character.</exception>
    public static void ValidateName(string? value, string paramName) => Validate(value, paramName, NameChars, "[A-Za-z0-9.-]");

    /// <summary>Checks a reader or writer id: 1..255 characters of <c>[A-Za-z0-9._-]</c>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
    /// <exception cref="ArgumentException">The id is empty, too long, or holds another character.</exception>
    public static void ValidateId(string? value, string paramName) => Validate(value, paramName, IdChars, "[A-Za-z0-9._-]");

    /// <summary>True when <paramref name="value"/> is a valid user name (see <see cref="ValidateName"/>).</summary>
    public static bool IsValidName(string? value) =>
        value is { Length: > 0 and <= MaxLength } && !value.AsSpan().ContainsAnyExcept(NameChars);

    private static void Validate(string? value, string paramName, SearchValues<char> allowed, string pattern)
    {
        if (value is null)
        {
            ThrowHelper.ThrowArgumentNull(paramName);
        }

        if (value.Length is 0 or > MaxLength)
        {
            ThrowHelper.ThrowArgument(
                string.Create(CultureInfo.InvariantCulture, $"'{paramName}' must be 1..{MaxLength} characters of {pattern}; it has {value.Length}."),
                paramName);
        }

        int bad = value.AsSpan().IndexOfAnyExcept(allowed);
        if (bad >= 0)
        {
            ThrowHelper.ThrowArgument(
                string.Create(CultureInfo.InvariantCulture, $"'{paramName}' must be 1..{MaxLength} characters of {pattern}; '{value}' has U+{(int)value[bad]:X4} at index {bad}."),
                paramName);
        }
    }
}
