using Microsoft.Playwright;

namespace TcWorker.Tests.Shared;

/// <summary>
/// Debian's headless Chromium (/usr/bin/chromium) driven by Playwright; no browser is ever downloaded.
/// Without it a test skips with the reason, except in CI (CI=true), where it fails.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly IPlaywright playwright;

    private HeadlessChromium(IPlaywright playwright, IBrowser browser)
    {
        this.playwright = playwright;
        Browser = browser;
    }

    public IBrowser Browser { get; }

    /// <summary>Why browser tests skip here; null when Chromium is installed.</summary>
    public static string? SkipReason()
    {
        if (File.Exists(Executable))
        {
            return null;
        }

        Assert.False(Environment.GetEnvironmentVariable("CI") == "true", $"{Executable} is missing; test.sh installs Debian's chromium when run as root");
        return $"{Executable} is not installed (apt-get install chromium)";
    }

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
            });
            return new HeadlessChromium(playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
    }
}
