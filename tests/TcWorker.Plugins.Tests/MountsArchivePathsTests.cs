using TcWorker.Errors;
using TcWorker.Plugins.Mounts;

namespace TcWorker.Plugins.Tests;

/// <summary>The names and links of an archive's entries, checked before anything is written.</summary>
public sealed class MountsArchivePathsTests
{
    [Theory]
    [InlineData("a/b.txt", "a/b.txt")]
    [InlineData("./a/./b.txt", "a/b.txt")]
    [InlineData("a//b/", "a/b")]
    [InlineData("./", "")]
    public void Names_inside_are_normalised(string name, string expected) => Assert.Equal(expected, new ArchivePaths().Check(name));

    [Theory]
    [InlineData("../x", "leads outside the target folder with '..'")]
    [InlineData("a/../../x", "leads outside the target folder with '..'")]
    [InlineData("a/../b", "leads outside the target folder with '..'")]
    [InlineData("a\\..\\x", "leads outside the target folder with '..'")]
    [InlineData("/etc/passwd", "is an absolute path")]
    [InlineData("\\x", "is an absolute path")]
    [InlineData("C:x", "is an absolute path")]
    [InlineData("a\0b", "holds a NUL character")]
    public void Names_leading_out_refuse_the_archive(string name, string problem)
    {
        var error = Assert.Throws<MalformedPayloadException>(() => new ArchivePaths().Check(name));
        Assert.Equal($"the archive's entry '{name}' {problem}: the archive is refused", error.Message);
    }

    [Fact]
    public void Links_inside_are_followed_by_later_entries()
    {
        var paths = new ArchivePaths();
        paths.AddLink(paths.Check("bin"), "usr/bin", "bin");
        paths.AddLink(paths.Check("usr/lib64"), "lib", "usr/lib64");
        Assert.Equal("usr/bin/sh", paths.Check("bin/sh"));
        Assert.Equal("usr/lib/libc.so", paths.Check("usr/lib64/libc.so"));
    }

    [Theory]
    [InlineData("/etc", "is a symbolic link to the absolute path '/etc'")]
    [InlineData("..", "leads outside the target folder through a symbolic link")]
    [InlineData("a/../..", "leads outside the target folder through a symbolic link")]
    public void Links_pointing_out_refuse_the_archive(string target, string problem)
    {
        var error = Assert.Throws<MalformedPayloadException>(() => new ArchivePaths().AddLink("link", target, "link"));
        Assert.Equal($"the archive's entry 'link' {problem}: the archive is refused", error.Message);
    }

    [Fact]
    public void A_chain_of_links_that_each_stay_inside_cannot_lead_out()
    {
        var paths = new ArchivePaths();
        paths.AddLink(paths.Check("d/up"), "..", "d/up");           // d/up -> the root: inside
        var error = Assert.Throws<MalformedPayloadException>(() => paths.AddLink(paths.Check("d/up/out"), "..", "d/up/out"));
        Assert.Contains("'d/up/out' leads outside the target folder through a symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_through_a_loop_of_links_is_refused()
    {
        var paths = new ArchivePaths();
        paths.AddLink("a", "b", "a");
        paths.AddLink("b", "a", "b");
        var error = Assert.Throws<MalformedPayloadException>(() => paths.Check("a/x"));
        Assert.Contains("'a/x' goes through too many symbolic links", error.Message, StringComparison.Ordinal);
    }
}
