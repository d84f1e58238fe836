using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using SessionVoice.Api.Infrastructure;

namespace SessionVoice.Api.Tests.Edge;

/// <summary>The connection writer that gives Kestrel's own refusals a JSON body, against a real pipe.</summary>
public class RefusalRewriterTests
{
    private static readonly string KestrelRefusal = "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nDate: Thu, 03 Dec 2026 14:00:00 GMT\r\nContent-Length: 0\r\n\r\n";

    private static (Pipe Pipe, RefusalRewriter Writer) Create()
    {
        var pipe = new Pipe();
        return (pipe, new RefusalRewriter(pipe.Writer, new DefaultConnectionContext("test"), NullLogger.Instance));
    }

    private static async Task<string> WriteAsync(string text)
    {
        var (pipe, writer) = Create();
        writer.Write(Encoding.ASCII.GetBytes(text));
        await writer.FlushAsync();
        await writer.CompleteAsync();
        return await ReadAllAsync(pipe);
    }

    private static async Task<string> ReadAllAsync(Pipe pipe)
    {
        var result = await pipe.Reader.ReadAtLeastAsync(int.MaxValue);
        var text = Encoding.UTF8.GetString(result.Buffer.ToArray());
        pipe.Reader.AdvanceTo(result.Buffer.End);
        return text;
    }

    [Fact]
    public async Task Kestrels_empty_refusal_gets_the_json_body_and_keeps_its_other_headers()
    {
        var body = "{\"error\":\"request headers too large\"}";
        Assert.Equal(
            "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nDate: Thu, 03 Dec 2026 14:00:00 GMT\r\n"
            + $"Content-Type: application/json; charset=utf-8\r\nContent-Length: {body.Length}\r\n\r\n{body}",
            await WriteAsync(KestrelRefusal));
    }

    [Fact]
    public async Task An_unsupported_version_is_a_400()
    {
        var text = await WriteAsync("HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n{\"error\":\"unsupported HTTP version\"}", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n17\r\n{\"error\":\"bad request\"}\r\n0\r\n\r\n")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\nx")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")]
    [InlineData("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\n")]
    [InlineData("\u0016\u0003\u0001 not HTTP at all")]
    public async Task Every_other_block_passes_through_byte_for_byte(string block) => Assert.Equal(block, await WriteAsync(block));

    [Fact]
    public async Task Writing_on_into_a_span_after_advancing_part_of_it_stays_contiguous()
    {
        // Kestrel's BufferWriter: one span, advanced in parts, written on past each advance.
        var (pipe, writer) = Create();
        var span = writer.GetSpan(64);
        Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\n", span);
        writer.Advance(17);
        Encoding.ASCII.GetBytes("Content-Length: 2\r\n\r\nok", span[17..]);
        writer.Advance(23);
        await writer.FlushAsync();
        await writer.CompleteAsync();
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", await ReadAllAsync(pipe));
    }

    [Fact]
    public async Task Memory_held_across_a_flush_is_where_the_next_span_starts()
    {
        // Kestrel's chunked body: the chunk's memory is taken, written, kept over a flush, then advanced.
        var (pipe, writer) = Create();
        writer.Write("HTTP/1.1 200 OK\r\n\r\n"u8);
        var chunk = writer.GetMemory(16);
        "abc"u8.CopyTo(chunk.Span);
        await writer.FlushAsync();
        Assert.True(writer.GetSpan(3)[..3].SequenceEqual("abc"u8));
        writer.Advance(3);
        await writer.FlushAsync();
        Assert.Equal(0, writer.UnflushedBytes);
        await writer.CompleteAsync();
        Assert.Equal("HTTP/1.1 200 OK\r\n\r\nabc", await ReadAllAsync(pipe));
    }

    [Fact]
    public async Task A_refusal_after_a_response_on_the_same_connection_is_rewritten_too()
    {
        var (pipe, writer) = Create();
        var notFound = "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n{\"error\":\"not found\"}"u8;
        writer.Write(notFound);
        Assert.Equal(notFound.Length, writer.UnflushedBytes);
        await writer.FlushAsync();
        writer.Write(Encoding.ASCII.GetBytes(KestrelRefusal));
        await writer.FlushAsync();
        await writer.CompleteAsync();
        var text = await ReadAllAsync(pipe);
        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", text, StringComparison.Ordinal);
        Assert.EndsWith("{\"error\":\"request headers too large\"}", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_ordinary_response_goes_straight_into_the_connections_writer()
    {
        var (pipe, writer) = Create();
        var span = writer.GetSpan(64);
        var head = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8;
        head.CopyTo(span);
        writer.Advance(head.Length);
        // Not held here: the connection's own writer has the bytes before the flush, and the memory was its own.
        Assert.Equal(head.Length, pipe.Writer.UnflushedBytes);
        Assert.Equal(head.Length, writer.UnflushedBytes);
        await writer.FlushAsync();
        await writer.CompleteAsync();
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", await ReadAllAsync(pipe));
    }

    [Fact]
    public async Task A_refusal_written_in_small_pieces_is_still_rewritten()
    {
        var (pipe, writer) = Create();
        var bytes = Encoding.ASCII.GetBytes(KestrelRefusal);
        foreach (var piece in bytes.Chunk(5))
        {
            writer.Write(piece);
        }
        Assert.Equal(0, pipe.Writer.UnflushedBytes);
        Assert.Equal(bytes.Length, writer.UnflushedBytes);
        await writer.FlushAsync();
        await writer.CompleteAsync();
        Assert.EndsWith("\r\n\r\n{\"error\":\"request headers too large\"}", await ReadAllAsync(pipe), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_application_400_with_its_body_written_after_the_headers_passes_through()
    {
        // Looks like a refusal at its first advance, so it is held; at the flush it has a body and is written as it was.
        var (pipe, writer) = Create();
        var head = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 21\r\n\r\n";
        var span = writer.GetSpan(head.Length);
        Encoding.ASCII.GetBytes(head, span);
        writer.Advance(head.Length);
        var body = writer.GetMemory(32);
        "{\"error\":\"not found\"}"u8.CopyTo(body.Span);
        writer.Advance(21);
        await writer.FlushAsync();
        writer.Write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8);
        await writer.FlushAsync();
        await writer.CompleteAsync();
        Assert.Equal(head + "{\"error\":\"not found\"}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", await ReadAllAsync(pipe));
    }
}
