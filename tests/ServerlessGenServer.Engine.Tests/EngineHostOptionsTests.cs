using System.Text.Json;
using System.Text.RegularExpressions;
using ServerlessGenServer.Engine.Hosting;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The engine host runs with the deployed app's settings: host.json and the engine defaults must agree.</summary>
public sealed partial class EngineHostOptionsTests
{
    private static readonly EngineHostOptions Defaults = new() { ConnectionString = "unused", TaskHubName = "unused" };

    private static JsonElement DurableTask()
    {
        using var hostJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "host.json")));
        return hostJson.RootElement.GetProperty("extensions").GetProperty("durableTask").Clone();
    }

    [Fact]
    public void Defaults_ComparedWithHostJson_AreTheSameValues()
    {
        var durable = DurableTask();
        var storage = durable.GetProperty("storageProvider");

        Assert.Equal(Defaults.MaxEntityOperationBatchSize, durable.GetProperty("maxEntityOperationBatchSize").GetInt32());
        Assert.False(durable.GetProperty("extendedSessionsEnabled").GetBoolean());
        Assert.Equal(Defaults.PartitionCount, storage.GetProperty("partitionCount").GetInt32());
        Assert.Equal(Defaults.ControlQueueBufferThreshold, storage.GetProperty("controlQueueBufferThreshold").GetInt32());
        Assert.Equal(Defaults.MaxQueuePollingInterval, TimeSpan.Parse(storage.GetProperty("maxQueuePollingInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Defaults.ControlQueueVisibilityTimeout, TimeSpan.Parse(storage.GetProperty("controlQueueVisibilityTimeout").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void HostJson_StorageProvider_HasOnlyRealDurableSettings()
    {
        // The Azure Storage provider options Durable Functions reads from storageProvider (AzureStorageOptions).
        string[] known =
        [
            "connectionName", "controlQueueBatchSize", "partitionCount", "controlQueueBufferThreshold", "controlQueueVisibilityTimeout",
            "workItemQueueVisibilityTimeout", "trackingStoreConnectionName", "trackingStoreNamePrefix", "fetchLargeMessagesAutomatically",
            "maxQueuePollingInterval", "useLegacyPartitionManagement", "useTablePartitionManagement", "allowReplayingTerminalInstances",
        ];

        var names = DurableTask().GetProperty("storageProvider").EnumerateObject().Select(p => p.Name);

        Assert.All(names, n => Assert.Contains(n, known, StringComparer.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("ServersApiEngineTests")]
    [InlineData("1-odd prefix!")]
    [InlineData("AVeryLongTestClassNameThatIsMuchLongerThanFortyFiveCharacters")]
    public void Unique_AnyPrefix_IsAValidAzureStorageTaskHubName(string prefix)
    {
        var name = TaskHubNames.Unique(prefix);

        Assert.Matches(ValidHubName(), name);
        Assert.NotEqual(name, TaskHubNames.Unique(prefix));
    }

    [Fact]
    public void Find_FromBelowTheRoot_ReturnsTheFolderWithTheSolution()
    {
        var root = RepositoryRoot.Find();

        Assert.True(File.Exists(Path.Combine(root, RepositoryRoot.MarkerFile)));
        Assert.Equal(root, RepositoryRoot.Find(Path.Combine(root, "tests", "ServerlessGenServer.Engine")));
        Assert.Throws<DirectoryNotFoundException>(() => RepositoryRoot.Find(Path.GetTempPath()));
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,44}$")]
    private static partial Regex ValidHubName();
}
