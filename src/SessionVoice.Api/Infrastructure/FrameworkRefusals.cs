using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace SessionVoice.Api.Infrastructure;

/// <summary>
/// The refusals the HTTP layer gives rather than an endpoint: a request line or header block Kestrel cannot parse or
/// that is too large, headers or a body that arrive too slowly, a body over the limit. Each is <c>{ "error" }</c> with
/// one of these fixed messages, whichever layer answers.
/// </summary>
public static class FrameworkRefusals
{
    /// <summary>The fixed message of a framework-level refusal with this status, or null for any other status.</summary>
    public static string? Message(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "bad request",
        StatusCodes.Status405MethodNotAllowed => "method not allowed",
        StatusCodes.Status408RequestTimeout => "request timeout",
        StatusCodes.Status411LengthRequired => "length required",
        StatusCodes.Status413PayloadTooLarge => "request body too large",
        StatusCodes.Status414UriTooLong => "request line too long",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "request headers too large",
        StatusCodes.Status505HttpVersionNotsupported => "unsupported HTTP version",
        _ => null,
    };

    /// <summary>
    /// The status a client is answered with: Kestrel's 505 for an HTTP version it does not speak is the client's
    /// fault like any other malformed request line, so it is a 400 (a 5xx would count as the service failing).
    /// </summary>
    public static int Status(int status) => status == StatusCodes.Status505HttpVersionNotsupported ? StatusCodes.Status400BadRequest : status;

    /// <summary>Oversized and slow requests: worth a warning (one line each); the rest is ordinary client noise.</summary>
    public static LogLevel LevelOf(int status) => status is StatusCodes.Status408RequestTimeout or StatusCodes.Status413PayloadTooLarge
        or StatusCodes.Status414UriTooLong or StatusCodes.Status431RequestHeaderFieldsTooLarge
        ? LogLevel.Warning
        : LogLevel.Information;

    /// <summary>
    /// Kestrel answers what it rejects before any middleware runs (a malformed request line or header, a request line
    /// or header block over its limits, headers that arrive too slowly) by itself, with an empty body. This connection
    /// middleware gives those answers the API's <c>{ "error" }</c> body; every other byte passes through unchanged.
    /// It sits under TLS when it is added after <c>UseHttps</c>; added before (as the endpoint defaults are), an HTTPS
    /// connection's bytes never look like such an answer and pass through.
    /// </summary>
    public static ListenOptions UseJsonRefusals(this ListenOptions listen)
    {
        ILogger? logger = null;
        listen.Use(next => async connection =>
        {
            logger ??= listen.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(FrameworkRefusals).FullName!);
            var transport = connection.Transport;
            var output = new RefusalRewriter(transport.Output, connection, logger);
            connection.Transport = new DuplexPipe(transport.Input, output);
            try
            {
                await next(connection);
            }
            finally
            {
                connection.Transport = transport;
            }
        });
        return listen;
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>
/// The connection's output, looked at one flushed block at a time. Kestrel writes its own refusal as exactly one block:
/// <c>HTTP/1.1 {status}</c>, its headers with <c>Content-Length: 0</c> and <c>Connection: close</c>, nothing after.
/// The application's answers never look like that (every 4xx of the API has a body), so such a block is Kestrel's and
/// is rewritten with the JSON body.
/// </summary>
/// <remarks>
/// Every block is written straight into the connection's writer, with no copy, except one whose first advanced bytes
/// start a response with a status Kestrel refuses with (or could still become one: fewer bytes than a status line).
/// Only such a block is held here, checked at the flush and then written on, rewritten or as it was. Kestrel treats
/// its writer like a <see cref="Pipe"/>: it keeps writing into the rest of a span after advancing part of it, and
/// keeps a chunk's memory across a flush expecting the next span to start where that memory did. So each
/// <see cref="Advance"/> is read against the memory handed out last, and the held buffer, once it has memory out, is
/// neither rewound nor left until that memory is advanced.
/// </remarks>
internal sealed class RefusalRewriter(PipeWriter inner, ConnectionContext connection, ILogger logger) : PipeWriter
{
    private const int StatusLineStart = 13; // "HTTP/1.1 400 "

    /// <summary>A buffer grown past this by one large block is dropped once the block is out.</summary>
    private const int KeptCapacity = 16 * 1024;

    private static readonly byte[] Http11 = "HTTP/1.1 "u8.ToArray();
    private static readonly byte[] HeaderEnd = "\r\n\r\n"u8.ToArray();

    /// <summary>The block being held (created the first time one is), from <see cref="_blockStart"/> on.</summary>
    private ArrayBufferWriter<byte>? _held;

    /// <summary>Where the block not yet written on starts in <see cref="_held"/>.</summary>
    private int _blockStart;

    /// <summary>The current block is collected in <see cref="_held"/> rather than written through.</summary>
    private bool _holding;

    /// <summary>Something of the current block was written through since the last flush.</summary>
    private bool _wroteThrough;

    /// <summary>The connection writer's memory handed out last, and how much of it is advanced.</summary>
    private Memory<byte> _innerLease;

    private int _innerLeaseUsed;

    /// <summary>The memory handed out last is the held buffer's, not the connection writer's.</summary>
    private bool _heldLease;

    /// <summary>Held-buffer memory handed out and not advanced yet: the buffer is not rewound under it.</summary>
    private bool _leased;

    /// <summary>A flush of the connection's writer not finished yet: nothing may be written to it meanwhile.</summary>
    private bool _flushing;

    public override void Advance(int bytes)
    {
        if (_heldLease)
        {
            _held!.Advance(bytes);
            _leased = false;
            return;
        }
        var written = _innerLease.Span.Slice(_innerLeaseUsed, bytes);
        _innerLeaseUsed += bytes;
        if (!_holding && !_wroteThrough && bytes > 0 && MayBeRefusal(written))
        {
            _holding = true;
        }
        if (_holding)
        {
            // Not advanced in the connection's writer: the bytes stay scratch there until the flush decides.
            (_held ??= new ArrayBufferWriter<byte>(512)).Write(written);
        }
        else
        {
            inner.Advance(bytes);
            _wroteThrough |= bytes > 0;
        }
    }

    public override Memory<byte> GetMemory(int sizeHint = 0)
    {
        if (_holding)
        {
            _heldLease = true;
            _leased = true;
            return _held!.GetMemory(sizeHint);
        }
        _heldLease = false;
        _innerLeaseUsed = 0;
        return _innerLease = inner.GetMemory(sizeHint);
    }

    public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        WriteHeldBlock();
        _wroteThrough = false;
        var flush = inner.FlushAsync(cancellationToken);
        return flush.IsCompleted ? flush : AwaitFlushAsync(flush);
    }

    private async ValueTask<FlushResult> AwaitFlushAsync(ValueTask<FlushResult> flush)
    {
        _flushing = true;
        try
        {
            return await flush;
        }
        finally
        {
            _flushing = false;
        }
    }

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    // Kestrel's body writer (and the JSON serializer through it) asks how much is buffered to decide when to flush.
    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => (inner.CanGetUnflushedBytes ? inner.UnflushedBytes : 0) + (_holding ? _held!.WrittenCount - _blockStart : 0);

    // Completed while a flush is pending means aborted: what is held is dropped, as the connection's own buffer would be.
    public override void Complete(Exception? exception = null)
    {
        if (!_flushing)
        {
            WriteHeldBlock();
        }
        inner.Complete(exception);
    }

    public override async ValueTask CompleteAsync(Exception? exception = null)
    {
        if (!_flushing)
        {
            WriteHeldBlock();
        }
        await inner.CompleteAsync(exception);
    }

    /// <summary>
    /// The first bytes of a block: a status line with a status Kestrel refuses with, or too few bytes to tell yet
    /// (a prefix of <c>HTTP/1.1 </c>). Anything else is written through.
    /// </summary>
    private static bool MayBeRefusal(ReadOnlySpan<byte> first) => first.Length < StatusLineStart
        ? first.Length <= Http11.Length ? Http11.AsSpan().StartsWith(first) : first.StartsWith(Http11)
        : RefusalStatus(first) is not null;

    /// <summary>The held block, rewritten when it is Kestrel's refusal, to the connection.</summary>
    private void WriteHeldBlock()
    {
        if (!_holding)
        {
            return;
        }
        var held = _held!;
        var block = held.WrittenSpan[_blockStart..];
        if (block.Length > 0 && !TryRewrite(block))
        {
            inner.Write(block);
        }
        if (_heldLease && _leased)
        {
            // Kestrel still has held memory out: it advances it later, so the held buffer goes on from here.
            _blockStart = held.WrittenCount;
            return;
        }
        // A lease of the connection's writer stays valid: its advanced part was all of this block, just written there.
        _holding = false;
        _heldLease = false;
        if (held.Capacity > KeptCapacity)
        {
            _held = null;
        }
        else
        {
            held.ResetWrittenCount();
        }
        _blockStart = 0;
    }

    /// <summary>A status Kestrel refuses requests with, when the block starts with its status line.</summary>
    private static int? RefusalStatus(ReadOnlySpan<byte> block)
    {
        if (block.Length < StatusLineStart || !block.StartsWith(Http11) || block[StatusLineStart - 1] != (byte)' '
            || !Utf8Parser.TryParse(block.Slice(Http11.Length, 3), out int status, out var consumed) || consumed != 3)
        {
            return null;
        }
        return FrameworkRefusals.Message(status) is null ? null : status;
    }

    private bool TryRewrite(ReadOnlySpan<byte> block)
    {
        if (RefusalStatus(block) is not { } status || block.IndexOf(HeaderEnd) != block.Length - HeaderEnd.Length)
        {
            return false;
        }
        var text = Encoding.ASCII.GetString(block[..^HeaderEnd.Length]);
        var lines = text.Split("\r\n");
        var emptyBody = false;
        var closes = false;
        var kept = new StringBuilder();
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return false;
            }
            var name = line.AsSpan(0, colon).Trim();
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                emptyBody = value.SequenceEqual("0");
                continue;
            }
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
            {
                closes = value.Equals("close", StringComparison.OrdinalIgnoreCase);
            }
            kept.Append(line).Append("\r\n");
        }
        if (!emptyBody || !closes)
        {
            return false;
        }
        var message = FrameworkRefusals.Message(status)!;
        var answered = FrameworkRefusals.Status(status);
        var body = JsonSerializer.SerializeToUtf8Bytes(new ApiError(message), ApiJsonContext.Default.ApiError);
        var head = $"HTTP/1.1 {answered} {ReasonOf(answered)}\r\n{kept}Content-Type: application/json; charset=utf-8\r\nContent-Length: {body.Length}\r\n\r\n";
        inner.Write(Encoding.ASCII.GetBytes(head));
        inner.Write(body);
        logger.Log(FrameworkRefusals.LevelOf(status), "Refused a request on connection {ConnectionId} from {Remote} before the application: {Status} {Error}",
            connection.ConnectionId, connection.RemoteEndPoint, answered, message);
        return true;
    }

    private static string ReasonOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "Bad Request",
        StatusCodes.Status405MethodNotAllowed => "Method Not Allowed",
        StatusCodes.Status408RequestTimeout => "Request Timeout",
        StatusCodes.Status411LengthRequired => "Length Required",
        StatusCodes.Status413PayloadTooLarge => "Payload Too Large",
        StatusCodes.Status414UriTooLong => "URI Too Long",
        StatusCodes.Status431RequestHeaderFieldsTooLarge => "Request Header Fields Too Large",
        _ => "Error",
    };
}
