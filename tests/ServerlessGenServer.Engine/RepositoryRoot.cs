namespace ServerlessGenServer.Engine;

/// <summary>The repository's root folder: the nearest folder above the running code that holds ServerlessGenServer.sln.</summary>
public static class RepositoryRoot
{
    public const string MarkerFile = "ServerlessGenServer.sln";

    /// <summary>Walks up from <paramref name="start"/> (default: the running code's folder) to the folder holding the solution.</summary>
    /// <exception cref="DirectoryNotFoundException">No folder above holds the solution.</exception>
    public static string Find(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, MarkerFile)))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder above '{start ?? AppContext.BaseDirectory}' holds {MarkerFile}.");
    }
}
