using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using ServerlessGenServer.Engine.Azurite;
using ServerlessGenServer.Engine.Tests.Infrastructure;

namespace ServerlessGenServer.Engine.Tests;

/// <summary>The Azurite launcher: a private emulator of its own (not the shared one), so restarting it disturbs nobody.</summary>
[Collection(PrivateAzuriteTestGroup.Name)]
public sealed class AzuriteServerTests
{
    [Fact]
    public async Task RestartAsync_AfterWrite_KeepsDataAndPortsAndDisposeRemovesEverything()
    {
        await using var azurite = await AzuriteServer.StartAsync(); // also disposed on the way out if anything fails before the explicit dispose below
        var ports = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        var table = new TableClient(azurite.ConnectionString, "probe");
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("p", "r") { ["Note"] = "kept" });

        await azurite.RestartAsync();
        var after = await new TableClient(azurite.ConnectionString, "probe").GetEntityAsync<TableEntity>("p", "r");
        var portsAfter = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        var dataDirectory = azurite.DataDirectory;
        await azurite.DisposeAsync();

        Assert.Equal("kept", after.Value.GetString("Note"));
        Assert.Equal(ports, portsAfter);
        Assert.False(azurite.IsRunning);
        Assert.False(Directory.Exists(dataDirectory));
        Assert.False(await AcceptsAsync(ports.TablePort));
    }

    [Fact]
    public async Task ConnectionStringAndKill_StartedInstance_NamesLoopbackEndpointsThenStopsAtOnce()
    {
        await using var azurite = await AzuriteServer.StartAsync();

        var text = azurite.ConnectionString;

        Assert.True(azurite.IsRunning);
        Assert.Contains($"BlobEndpoint=http://127.0.0.1:{azurite.BlobPort}/devstoreaccount1;", text, StringComparison.Ordinal);
        Assert.Contains($"QueueEndpoint=http://127.0.0.1:{azurite.QueuePort}/devstoreaccount1;", text, StringComparison.Ordinal);
        Assert.Contains($"TableEndpoint=http://127.0.0.1:{azurite.TablePort}/devstoreaccount1;", text, StringComparison.Ordinal);
        Assert.Equal(3, new[] { azurite.BlobPort, azurite.QueuePort, azurite.TablePort }.Distinct().Count());
        Assert.NotEmpty(Directory.EnumerateFileSystemEntries(azurite.DataDirectory)); // disk mode, not in memory
        await azurite.KillAsync();
        Assert.False(azurite.IsRunning);
        Assert.False(await AcceptsAsync(azurite.QueuePort));
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
