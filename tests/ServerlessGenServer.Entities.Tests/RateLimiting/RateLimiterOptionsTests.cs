using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.RateLimiting;
using ServerlessGenServer.Entities.Tests.Support;

namespace ServerlessGenServer.Entities.Tests.RateLimiting;

public sealed class RateLimiterOptionsTests
{
    [Fact]
    public void AddGenServers_NoSettings_BindsTheDefaults()
    {
        using var services = new TestServices();

        var options = services.Provider.GetRequiredService<IOptions<RateLimiterOptions>>().Value;

        Assert.Equal((10, 2d, 16, 10_000, TimeSpan.FromMinutes(1)),
            (options.Capacity, options.RefillPerSecond, options.Shards, options.MaxKeysPerShard, options.CompactionInterval));
    }

    [Fact]
    public void AddGenServers_Settings_AreBoundFromTheRateLimiterSection()
    {
        using var services = new TestServices(settings: new Dictionary<string, string?>
        {
            ["RateLimiter:Capacity"] = "100",
            ["RateLimiter:RefillPerSecond"] = "0.5",
            ["RateLimiter:Shards"] = "4",
            ["RateLimiter:MaxKeysPerShard"] = "50",
            ["RateLimiter:CompactionInterval"] = "00:00:30",
        });

        ValidateOnStart(services);
        var options = services.Provider.GetRequiredService<IOptions<RateLimiterOptions>>().Value;

        Assert.Equal((100, 0.5, 4, 50, TimeSpan.FromSeconds(30)),
            (options.Capacity, options.RefillPerSecond, options.Shards, options.MaxKeysPerShard, options.CompactionInterval));
    }

    [Theory]
    [InlineData("Capacity", "0")]
    [InlineData("Capacity", "1000001")]
    [InlineData("RefillPerSecond", "-1")]
    [InlineData("RefillPerSecond", "0.0001")]
    [InlineData("RefillPerSecond", "NaN")]
    [InlineData("RefillPerSecond", "1e7")]
    [InlineData("Shards", "0")]
    [InlineData("Shards", "1025")]
    [InlineData("MaxKeysPerShard", "0")]
    [InlineData("CompactionInterval", "00:00:00.500")]
    [InlineData("CompactionInterval", "2.00:00:00")]
    public void ValidateOnStart_ValueOutOfRange_FailsNamingTheSetting(string name, string value)
    {
        using var services = new TestServices(settings: new Dictionary<string, string?> { [$"RateLimiter:{name}"] = value });

        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(services));

        Assert.Contains(name, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.001")]
    [InlineData("1000000")]
    public void ValidateOnStart_RefillAtTheLimits_IsAccepted(string value)
    {
        using var services = new TestServices(settings: new Dictionary<string, string?> { ["RateLimiter:RefillPerSecond"] = value });

        ValidateOnStart(services);
    }

    [Fact]
    public void ValidateOnStart_NotANumber_FailsNamingTheSetting()
    {
        using var services = new TestServices(settings: new Dictionary<string, string?> { ["RateLimiter:Capacity"] = "ten" });

        var ex = Assert.Throws<InvalidOperationException>(() => ValidateOnStart(services));

        Assert.Contains("RateLimiter:Capacity", ex.Message, StringComparison.Ordinal);
    }

    // What the host runs before it starts (ValidateOnStart registers the options with it).
    private static void ValidateOnStart(TestServices services) =>
        services.Provider.GetRequiredService<IStartupValidator>().Validate();
}
