using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ServerlessGenServer.Functions.RateLimiting;

public static class LocalRateLimiterServiceCollectionExtensions
{
    /// <summary>The worker's in-memory rate-limit path (one per process) with its validated <see cref="LocalRateLimitOptions"/>.</summary>
    public static IServiceCollection AddLocalRateLimiter(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<LocalRateLimitOptions>()
            .Bind(configuration.GetSection(LocalRateLimitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<LocalRateLimiter>();
        return services;
    }
}
