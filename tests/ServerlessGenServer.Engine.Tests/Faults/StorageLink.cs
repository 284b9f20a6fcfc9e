using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ServerlessGenServer.Engine.Azurite;

namespace ServerlessGenServer.Engine.Tests.Faults;

/// <summary>
/// A TCP relay between one engine host and Azurite that can be cut. The host is given <see cref="ConnectionString"/>,
/// so all its storage traffic (blobs, queues, tables) goes through the relay. <see cref="Cut"/> resets every open
/// connection and refuses new ones: to the storage account the worker behind the link is then dead, exactly as after
/// a crash. It renews no partition lease, deletes none of the messages it fetched, and commits no batch in flight.
/// </summary>
internal sealed class StorageLink : IDisposable
{
    private readonly List<TcpListener> _listeners = [];
    private readonly ConcurrentDictionary<Socket, bool> _sockets = new();
    private readonly CancellationTokenSource _cut = new();
    private int _connections;

    private StorageLink(int blobPort, int queuePort, int tablePort)
    {
        BlobPort = Listen(blobPort);
        QueuePort = Listen(queuePort);
        TablePort = Listen(tablePort);
    }

    public int BlobPort { get; }

    public int QueuePort { get; }

    public int TablePort { get; }

    /// <summary>Azurite's account, reached through the relay.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AzuriteServer.AccountName};AccountKey={AzuriteServer.AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AzuriteServer.AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AzuriteServer.AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AzuriteServer.AccountName};";

    /// <summary>How many connections the relay has carried: more than zero shows the host really used it.</summary>
    public int ConnectionsCarried => Volatile.Read(ref _connections);

    public static StorageLink To(AzuriteServer azurite)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        return new StorageLink(azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
    }

    /// <summary>Stops accepting and resets every open connection (RST, not a graceful close): requests in flight fail.</summary>
    public void Cut()
    {
        _cut.Cancel();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        foreach (var socket in _sockets.Keys)
        {
            Reset(socket);
        }
    }

    public void Dispose()
    {
        Cut();
        _cut.Dispose();
    }

    private int Listen(int target)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        _listeners.Add(listener);
        _ = AcceptAsync(listener, target);
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task AcceptAsync(TcpListener listener, int target)
    {
        while (!_cut.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptSocketAsync(_cut.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = RelayAsync(client, target);
        }
    }

    private async Task RelayAsync(Socket client, int target)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _sockets[client] = true;
        _sockets[server] = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, target, _cut.Token);
            await Task.WhenAll(PumpAsync(client, server), PumpAsync(server, client));
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Cut, or one side went away: both sides are closed below.
        }
        finally
        {
            Reset(client);
            Reset(server);
        }
    }

    // Copies one direction until its end of stream, then half-closes the other side (HTTP keeps both open normally).
    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer, SocketFlags.None, _cut.Token)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _cut.Token);
            }

            to.Shutdown(SocketShutdown.Send);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            Reset(from);
            Reset(to);
        }
    }

    private void Reset(Socket socket)
    {
        if (!_sockets.TryRemove(socket, out _))
        {
            return;
        }

        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        socket.Dispose();
    }
}
