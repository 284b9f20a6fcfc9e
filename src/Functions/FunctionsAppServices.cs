using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;
using ServerlessGenServer.Functions.Http;
using ServerlessGenServer.Functions.RateLimiting;

namespace ServerlessGenServer.Functions;

/// <summary>The services the function classes are created from. Program.cs and the local host (tools/LocalHost) both call this.</summary>
public static class FunctionsAppServices
{
    public static IServiceCollection AddFunctionsApp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGenServers(configuration);
        services.AddOptions<CallOptions>().Bind(configuration.GetSection(CallOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OperatorApiOptions>().Bind(configuration.GetSection(OperatorApiOptions.Section));
        services.AddSingleton<GenServerClient>();
        services.AddLocalRateLimiter(configuration);
        services.AddSingleton<ErrorContract>();
        return services;
    }
}
