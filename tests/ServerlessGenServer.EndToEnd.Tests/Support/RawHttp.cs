using System.Net.Sockets;
using System.Text;

namespace ServerlessGenServer.EndToEnd.Tests.Support;

/// <summary>What came back on a raw connection: the first status code (null if none) and whether the server closed it.</summary>
public sealed record RawAnswer(int? Status, string Text, bool Closed)
{
    public override string ToString() => $"{Status} closed={Closed}: {Text[..Math.Min(Text.Length, 300)]}";
}

/// <summary>Writes bytes exactly as given (no HttpClient framing) and reads what the server answers until it closes or goes quiet.</summary>
public static class RawHttp
{
    public static async Task<RawAnswer> SendAsync(
        int port, IEnumerable<byte[]> parts, TimeSpan pauseBetweenParts = default, TimeSpan? quiet = null)
    {
        ArgumentNullException.ThrowIfNull(parts);
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port);
        var stream = client.GetStream();
        try
        {
            foreach (var part in parts)
            {
                await stream.WriteAsync(part);
                if (pauseBetweenParts > TimeSpan.Zero)
                {
                    await Task.Delay(pauseBetweenParts);
                }
            }
        }
        catch (IOException)
        {
            // The server closed the connection while we were still sending: read what it said first.
        }

        return await ReadAsync(stream, quiet ?? TimeSpan.FromSeconds(3));
    }

    public static Task<RawAnswer> SendAsync(int port, string request) => SendAsync(port, [Encoding.Latin1.GetBytes(request)]);

    private static async Task<RawAnswer> ReadAsync(NetworkStream stream, TimeSpan quiet)
    {
        var text = new StringBuilder();
        var buffer = new byte[16 * 1024];
        var closed = false;
        while (true)
        {
            using var timeout = new CancellationTokenSource(quiet);
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (IOException)
            {
                closed = true;
                break;
            }

            if (read == 0)
            {
                closed = true;
                break;
            }

            text.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        var all = text.ToString();
        int? status = all.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && all.Length >= 12 && int.TryParse(all.AsSpan(9, 3), out var code)
            ? code
            : null;
        return new RawAnswer(status, all, closed);
    }
}
