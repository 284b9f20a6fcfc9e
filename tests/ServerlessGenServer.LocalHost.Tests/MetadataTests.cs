using ServerlessGenServer.Engine.Hosting;
using ServerlessGenServer.LocalHost.Metadata;

namespace ServerlessGenServer.LocalHost.Tests;

public sealed class MetadataTests
{
    private static readonly string Output = LocalHostOptions.DefaultFunctionsOutput;

    [Fact]
    public void Load_TheBuildsMetadata_EveryTriggerKindTheAppUses()
    {
        var functions = FunctionsMetadataFile.Load(Output);

        Assert.Equal(
            ["activityTrigger", "entityTrigger", "httpTrigger", "orchestrationTrigger", "queueTrigger", "timerTrigger"],
            functions.Select(f => f.Trigger.Type).Distinct().Order(StringComparer.Ordinal));
        var queue = functions.Single(f => f.Trigger.Type == "queueTrigger");
        Assert.Equal("%SIGNAL_QUEUE_NAME%", queue.Trigger.Text("queueName"));
        Assert.Equal("ServerlessGenServer.Functions.Queues.SignalQueueFunction.Run", queue.EntryPoint);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""[{"name":"f","scriptFile":"a.dll","entryPoint":"A.B.C","bindings":[]}]""")]
    [InlineData("""[{"name":"f","scriptFile":"a.dll","bindings":[{"name":"r","type":"httpTrigger"}]}]""")]
    [InlineData("""[{"name":"f","scriptFile":"a.dll","entryPoint":"A.B.C","bindings":[{"name":"a","type":"httpTrigger"},{"name":"b","type":"timerTrigger"}]}]""")]
    public void Parse_NotTheMetadataShape_InvalidDataException(string json)
    {
        Assert.Throws<InvalidDataException>(() => FunctionsMetadataFile.Parse(json));
    }

    [Fact]
    public void HostJson_TheRepositorys_TheEngineDefaultsAndTheQueueRules()
    {
        var host = HostJson.Load(Output);
        var engine = new EngineHostOptions { ConnectionString = "x", TaskHubName = "x" };

        Assert.Equal("api", host.RoutePrefix);
        Assert.Equal("%TASKHUB_NAME%", host.HubName);
        Assert.Equal(engine.PartitionCount, host.PartitionCount);
        Assert.Equal(engine.MaxQueuePollingInterval, host.MaxQueuePollingInterval);
        Assert.Equal(engine.ControlQueueVisibilityTimeout, host.ControlQueueVisibilityTimeout);
        Assert.Equal(engine.MaxEntityOperationBatchSize, host.MaxEntityOperationBatchSize);
        Assert.Equal(5, host.Queues.MaxDequeueCount);
        Assert.True(host.Queues.Base64Messages);
    }

    [Fact]
    public void HostJson_Empty_TheFunctionsHostsDefaults()
    {
        var host = HostJson.Parse("{ \"version\": \"2.0\" }");

        Assert.Equal("api", host.RoutePrefix);
        Assert.Equal(new QueueRules { MaxDequeueCount = 5, BatchSize = 16, VisibilityTimeout = TimeSpan.Zero, MaxPollingInterval = TimeSpan.FromMinutes(1) }, host.Queues);
    }
}
