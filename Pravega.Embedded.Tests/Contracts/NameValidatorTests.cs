using Xunit;

namespace Pravega.Embedded.Tests.Contracts;

public sealed class NameValidatorTests
{
    public static TheoryData<string> GoodNames => new()
    {
        "a", "Scope1", "my.stream-2", "...", "---", new string('x', 255), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-",
    };

    public static TheoryData<string> BadNames => new()
    {
        "", "under_score", "_internal", "with space", "slash/", "colon:", "é", "tab\t", new string('x', 256), "emoji😀",
    };

    [Theory]
    [MemberData(nameof(GoodNames))]
    public void AcceptsGoodNames(string name)
    {
        NameValidator.ValidateName(name, "scope");
        NameValidator.ValidateId(name, "readerId");
        Assert.True(NameValidator.IsValidName(name));
    }

    [Theory]
    [MemberData(nameof(BadNames))]
    public void RejectsBadNamesWithTheParameterName(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => NameValidator.ValidateName(name, "groupName"));
        Assert.Equal("groupName", e.ParamName);
        Assert.False(NameValidator.IsValidName(name));
    }

    [Fact]
    public void NullIsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>("table", () => NameValidator.ValidateName(null, "table"));
        Assert.Throws<ArgumentNullException>("writerId", () => NameValidator.ValidateId(null, "writerId"));
    }

    [Theory]
    [InlineData("reader_1")]
    [InlineData("_x")]
    [InlineData("a.b-c_d")]
    public void IdsAllowUnderscore(string id)
    {
        NameValidator.ValidateId(id, "readerId");
        Assert.Throws<ArgumentException>("stream", () => NameValidator.ValidateName(id, "stream"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a/b")]
    public void RejectsBadIds(string id) =>
        Assert.Throws<ArgumentException>("readerId", () => NameValidator.ValidateId(id, "readerId"));

    [Fact]
    public void ForStreamValidatesNames()
    {
        Assert.Throws<ArgumentException>("scope", () => ReaderGroupConfig.ForStream("bad scope", "x"));
        Assert.Throws<ArgumentException>("stream", () => ReaderGroupConfig.ForStream("s", "_x"));
    }
}
