using Microsoft.DurableTask;
using Microsoft.DurableTask.Converters;
using Microsoft.DurableTask.Entities;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ServerlessGenServer.Entities.GenServers;

namespace ServerlessGenServer.Entities.Tests.Support;

/// <summary>
/// The services a GenServer runs with in the Functions app (AddGenServers), with a fake clock and
/// optional configuration, plus the shim factory with the app's JSON options.
/// </summary>
internal sealed class TestServices : IDisposable
{
    private readonly ServiceProvider _provider;

    public TestServices(FakeTimeProvider? time = null, IDictionary<string, string?>? settings = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        Logs = new ListLoggerProvider();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build();
        var services = new ServiceCollection()
            .AddLogging(b => b.AddProvider(Logs))
            .AddSingleton<TimeProvider>(Time)
            .AddGenServers(configuration);
        services.AddSingleton(sp => new DurableTaskShimFactory(
            new DurableTaskWorkerOptions { DataConverter = new JsonDataConverter(GenServerJson.Options), EnableEntitySupport = true },
            sp.GetRequiredService<ILoggerFactory>()));
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    public FakeTimeProvider Time { get; }

    public ListLoggerProvider Logs { get; }

    public IServiceProvider Provider => _provider;

    /// <summary>A fresh server instance, as the entity trigger creates one per batch.</summary>
    public T Create<T>() where T : ITaskEntity => ActivatorUtilities.CreateInstance<T>(_provider);

    public void Dispose() => _provider.Dispose();
}
