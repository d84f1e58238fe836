using System.Diagnostics;
using System.Text;

namespace SessionVoice.Testing;

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public string EnsureSuccess(string what) =>
        ExitCode == 0 ? StdOut.Trim() : throw new InvalidOperationException($"{what} exited {ExitCode}: {StdErr.Trim()} {StdOut.Trim()}");
}

public static class ProcessRunner
{
    /// <param name="environment">Variables set for the process on top of this one's (a secret passed here stays out of its command line).</param>
    public static async Task<ProcessResult> RunAsync(
        string file, IEnumerable<string> args, string? workingDirectory = null, string? stdin = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', info.ArgumentList)} did not finish in time");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    public static string Quote(IEnumerable<string> args)
    {
        var sb = new StringBuilder();
        foreach (var a in args)
        {
            sb.Append(' ').Append(a.Contains(' ', StringComparison.Ordinal) ? $"\"{a}\"" : a);
        }
        return sb.ToString();
    }
}
