using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using SessionVoice.Testing;

namespace SessionVoice.Native.Tests;

/// <summary>
/// One service process on 127.0.0.1 and a free port, with only the environment it is given (nothing
/// inherited from the test run but PATH), its output kept for failure messages.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private bool _disposed;

    private ServiceProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public int Port { get; }

    public HttpClient Client { get; }

    public string Output => string.Join('\n', _output);

    public int Pid => _process.Id;

    /// <summary>Starts <paramref name="command"/> and waits until GET /health answers 200.</summary>
    public static async Task<ServiceProcess> StartAsync(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> settings, int? port = null)
    {
        var service = Launch(command, settings, port ?? LoopbackPort.Free());
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (service._process.HasExited)
            {
                var exit = service._process.ExitCode;
                await service.DisposeAsync();
                throw new InvalidOperationException($"{command[0]} exited ({exit}) before answering /health:\n{service.Output}");
            }
            try
            {
                using var health = await service.Client.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return service;
                }
            }
            catch (HttpRequestException)
            {
            }
            if (DateTime.UtcNow > deadline)
            {
                await service.DisposeAsync();
                throw new TimeoutException($"{command[0]} did not answer /health in 60 s:\n{service.Output}");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>Runs <paramref name="command"/> to its exit (it is expected to refuse to start).</summary>
    public static async Task<ProcessResult> RunToExitAsync(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> settings)
    {
        await using var service = Launch(command, settings, LoopbackPort.Free());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await service._process.WaitForExitAsync(timeout.Token);
        return new ProcessResult(service._process.ExitCode, service.Output, "");
    }

    private static ServiceProcess Launch(IReadOnlyList<string> command, IReadOnlyDictionary<string, string> settings, int port)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment.Clear();
        info.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        info.Environment["HOME"] = Path.GetTempPath();
        info.Environment["BIND_ADDRESS"] = "127.0.0.1";
        info.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in settings)
        {
            info.Environment[name] = value;
        }
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + command[0]);
        var service = new ServiceProcess(process, port);
        process.OutputDataReceived += (_, e) => service.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => service.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    /// <summary>SIGTERM, as Kubernetes and Ctrl-C stop it; the exit code (SIGKILL after 15 s).</summary>
    public async Task<int> StopAsync()
    {
        if (!_process.HasExited)
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

}
