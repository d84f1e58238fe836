using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging.Abstractions;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using SessionVoice.Testing;
using SessionVoice.Core.Escrow.Submission;

namespace SessionVoice.Core.Tests.Submission;

/// <summary>Builds submitters against a test chain and watches what they persist.</summary>
internal static class SubmitterTestKit
{
    public static readonly Hash32 Metrics = Keccak256.Hash("submitter metrics"u8);

    public static ISigner Oracle => AnvilAccounts.Signer(AnvilAccounts.Oracle);

    private static readonly ConditionalWeakTable<EscrowChain, ConcurrentDictionary<Address, OracleKeyLane>> Lanes = [];

    /// <summary>The lane a service process would hold for this key on this chain: submitters made without one share it.</summary>
    public static OracleKeyLane SharedLane(EscrowChain chain, Address account) =>
        Lanes.GetValue(chain, _ => new()).GetOrAdd(account, a => new OracleKeyLane(a));

    public static OracleSubmitter Submitter(
        EscrowChain chain,
        IAttestationTxStore? store = null,
        SubmitterOptions? options = null,
        ISigner? signer = null,
        OracleKeyLane? lane = null)
    {
        var key = signer ?? Oracle;
        store ??= new InMemoryAttestationTxStore();
        options ??= new SubmitterOptions(Anvil.DefaultChainId);
        return new OracleSubmitter(chain.Escrow, key, store, options, TimeProvider.System, NullLogger<OracleSubmitter>.Instance, lane ?? SharedLane(chain, key.Address));
    }

    /// <summary>
    /// What the service's schedule does with a submission: a step, then another every poll interval until the answer
    /// is not Pending (a mined answer need not be final). The submitter itself never waits for a block.
    /// </summary>
    public static async Task<SubmissionResult> DriveAsync(this OracleSubmitter submitter, AttestationRequest request, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var result = await submitter.SubmitAsync(request, ct);
            if (result is not SubmissionResult.Pending || DateTime.UtcNow > deadline)
            {
                return result;
            }
            await Task.Delay(50, ct);
        }
    }

    public static Task<ulong> NonceAsync(EscrowChain chain, Address? account = null, BlockTag? tag = null) =>
        chain.Anvil.Eth.GetTransactionCountAsync(account ?? Oracle.Address, tag ?? BlockTag.Pending);

    /// <summary>Polls the store until the booking's record satisfies <paramref name="condition"/>.</summary>
    public static async Task<AttestationTxRecord> WaitForRecordAsync(IAttestationTxStore store, BookingId id, Func<AttestationTxRecord, bool> condition, Task? failFast = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (await store.GetAsync(id, default) is { } record && condition(record))
            {
                return record;
            }
            if (failFast is { IsCompleted: true })
            {
                await failFast;
                throw new InvalidOperationException("the submission ended before the record got there");
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"record of {id} never got there");
    }

    /// <summary>
    /// Drops a transaction from anvil's pool, retrying until it has arrived there; with <paramref name="mayNeverArrive"/>,
    /// a transaction that never got there (its send was cut short) is as good as dropped.
    /// </summary>
    public static async Task DropFromPoolAsync(EscrowChain chain, Hash32 hash, bool mayNeverArrive = false)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(mayNeverArrive ? 2 : 10);
        while (DateTime.UtcNow < deadline)
        {
            var dropped = await chain.Anvil.RawAsync("anvil_dropTransaction", hash.ToString());
            if (dropped.ValueKind == System.Text.Json.JsonValueKind.String)
            {
                return;
            }
            await Task.Delay(10);
        }
        if (!mayNeverArrive)
        {
            throw new TimeoutException($"{hash} never reached the pool");
        }
    }

    public static async Task<Booking> BookingAsync(EscrowChain chain, BookingId id) =>
        (await chain.Escrow.GetBookingAsync(id))!;
}
