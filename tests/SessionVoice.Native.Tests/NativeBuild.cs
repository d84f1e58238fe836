using System.Runtime.Versioning;
using SessionVoice.Native.Tests;
using SessionVoice.Testing;

[assembly: SupportedOSPlatform("linux")]
[assembly: AssemblyFixture(typeof(NativeBuild))]

namespace SessionVoice.Native.Tests;

/// <summary>
/// The native build exactly as run.sh (NATIVE=1) and bench/load.sh make it — `dotnet publish -r
/// linux-x64 -p:PublishAot=true` — once per test run, into a temporary folder; and the JIT build
/// of the same sources (the Api project's own output, built before these tests) to compare with.
/// </summary>
public sealed class NativeBuild : IAsyncLifetime
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private readonly string _root = Directory.CreateTempSubdirectory("session-voice-native-").FullName;

    /// <summary>The ahead-of-time compiled service (one executable, plus libe_sqlite3.so beside it).</summary>
    public string Executable => Path.Combine(_root, "SessionVoice.Api");

    /// <summary>The JIT build's entry assembly, run with `dotnet`.</summary>
    public static string JitDll => Path.Combine(RepoPaths.Root, "src", "SessionVoice.Api", "bin", Configuration, "net10.0", "SessionVoice.Api.dll");

    /// <summary>What the ILCompiler printed: the native build must compile without trim or AOT warnings.</summary>
    public string PublishOutput { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var publish = await ProcessRunner.RunAsync("dotnet",
            ["publish", Path.Combine(RepoPaths.Root, "src", "SessionVoice.Api", "SessionVoice.Api.csproj"),
             "-c", "Release", "-r", "linux-x64", "-p:PublishAot=true", "-o", _root, "-nologo"],
            timeout: TimeSpan.FromMinutes(15));
        PublishOutput = publish.EnsureSuccess("dotnet publish -p:PublishAot=true src/SessionVoice.Api");
        if (!File.Exists(Executable))
        {
            throw new FileNotFoundException("the native publish produced no executable", Executable);
        }
        if (!File.Exists(JitDll))
        {
            throw new FileNotFoundException("the JIT build is missing (build the solution first)", JitDll);
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
