using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using ServerlessGenServer.Entities.Caching;
using ServerlessGenServer.Entities.Counting;
using ServerlessGenServer.Entities.Gateway;
using ServerlessGenServer.Entities.GenServers.Idempotency;
using ServerlessGenServer.Entities.GenServers.Tasks;
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
        services.AddOptions<GatewayOptions>()
            .Bind(configuration.GetSection(GatewayOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddHttpClient(GatewayOptions.HttpClientName, (provider, client) =>
        {
            var gateway = provider.GetRequiredService<IOptions<GatewayOptions>>().Value;
            client.BaseAddress = gateway.BackendUrl;
            client.Timeout = TimeSpan.FromSeconds(gateway.FetchTimeoutSeconds);
        });
        services.TryAddSingleton<GenServerWorks>();
        services.AddGenServerWork<FetchWork>();
        return services;
    }

    /// <summary>Registers <typeparamref name="TWork"/> as work a GenServer may start with <c>StartTask</c>; it is created from DI per run.</summary>
    public static IServiceCollection AddGenServerWork<TWork>(this IServiceCollection services)
        where TWork : class, IGenServerWork
    {
        services.TryAddTransient<TWork>();
        services.AddSingleton(new GenServerWorkDescriptor(GenServerWorks.NameOf(typeof(TWork)), typeof(TWork)));
        return services;
    }
}
