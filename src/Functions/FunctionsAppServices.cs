using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ServerlessGenServer.Entities.GenServers;
using ServerlessGenServer.Functions.Client;

namespace ServerlessGenServer.Functions;

/// <summary>The services the function classes are created from. Program.cs and the local host (tools/LocalHost) both call this.</summary>
public static class FunctionsAppServices
{
    public static IServiceCollection AddFunctionsApp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddGenServers(configuration);
        services.AddSingleton<GenServerClient>();
        return services;
    }
}
