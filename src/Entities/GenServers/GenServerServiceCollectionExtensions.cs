using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Entities.RateLimiting;

namespace ServerlessGenServer.Entities.GenServers;

public static class GenServerServiceCollectionExtensions
{
    /// <summary>
    /// What every GenServer needs from DI: the clock, the registry, and each server's validated options.
    /// The Functions app and the engine host both call this, so the servers run with the same services.
    /// </summary>
    public static IServiceCollection AddGenServers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(GenServerRegistry.Default);
        services.AddOptions<CacheOptions>()
            .Bind(configuration.GetSection(CacheOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<CounterOptions>()
            .Bind(configuration.GetSection(CounterOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<IdempotencyOptions>()
            .Bind(configuration.GetSection(IdempotencyOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<RateLimiterOptions>()
            .Bind(configuration.GetSection(RateLimiterOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }
}
