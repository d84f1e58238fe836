
namespace SessionVoice.Testing;

/// <summary>Where the repository's test tools live (installed by `npm ci` in tools/).</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Tools => Path.Combine(Root, "tools");

    public static string Contracts => Path.Combine(Root, "tests", "contracts");

    public static string Anvil => ToolBinary("anvil");

    public static string Cast => ToolBinary("cast");

    public static string NodeModules => Path.Combine(Tools, "node_modules");

    private static string ToolBinary(string name)
    {
        // npm 11 does not run install scripts; the binary ships inside the platform package.
        var path = Path.Combine(Tools, "node_modules", "@foundry-rs", $"{name}-linux-amd64", "bin", name);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{name} is not installed: run `npm ci` in {Tools} (the README's test command does)", path);
        }
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SessionVoice.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("SessionVoice.slnx not found above " + AppContext.BaseDirectory);
    }
}
