namespace ServerlessGenServer.Engine.Azurite;

/// <summary>The last lines a child process printed, kept for error messages (bounded).</summary>
internal sealed class ProcessOutputTail
{
    private const int MaxLines = 50;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return string.Join(Environment.NewLine, _lines);
            }
        }
    }

    public void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(line);
            while (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
            }
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _lines.Clear();
        }
    }
}
