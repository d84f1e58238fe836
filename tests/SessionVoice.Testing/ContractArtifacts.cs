using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Testing;

public sealed record ContractArtifact(string Name, byte[] Bytecode, JsonElement Abi);

/// <summary>
/// The Solidity contracts under tests/contracts, compiled once per source version with solc-js and
/// cached in the temp folder, so parallel test assemblies share one compilation.
/// </summary>
public static class ContractArtifacts
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _directory;

    public static async Task<ContractArtifact> LoadAsync(string name)
    {
        var directory = await EnsureCompiledAsync();
        var path = Path.Combine(directory, name + ".json");
        using var document = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        return new ContractArtifact(name, Hex.Decode(document.RootElement.GetProperty("bytecode").GetString()!), document.RootElement.GetProperty("abi").Clone());
    }

    private static async Task<string> EnsureCompiledAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_directory is not null)
            {
                return _directory;
            }
            var sources = Directory.GetFiles(RepoPaths.Contracts, "*.sol").Order(StringComparer.Ordinal).ToList();
            var hashInput = new StringBuilder();
            foreach (var source in sources.Append(Path.Combine(RepoPaths.Tools, "compile-contracts.js")).Append(Path.Combine(RepoPaths.Tools, "package-lock.json")))
            {
                hashInput.Append(Path.GetFileName(source)).Append('\n').Append(await File.ReadAllTextAsync(source)).Append('\n');
            }
            var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashInput.ToString())))[..16];
            var target = Path.Combine(Path.GetTempPath(), "session-voice-contracts", key);
            if (!File.Exists(Path.Combine(target, ".complete")))
            {
                var staging = target + "." + Guid.NewGuid().ToString("N");
                Directory.CreateDirectory(staging);
                var result = await ProcessRunner.RunAsync("node", [Path.Combine(RepoPaths.Tools, "compile-contracts.js"), staging], timeout: TimeSpan.FromMinutes(3));
                result.EnsureSuccess("compile-contracts.js");
                await File.WriteAllTextAsync(Path.Combine(staging, ".complete"), key);
                try
                {
                    Directory.Move(staging, target);
                }
                catch (IOException) when (File.Exists(Path.Combine(target, ".complete")))
                {
                    // Another test process finished the same compilation first.
                    Directory.Delete(staging, recursive: true);
                }
            }
            _directory = target;
            return target;
        }
        finally
        {
            Gate.Release();
        }
    }
}
