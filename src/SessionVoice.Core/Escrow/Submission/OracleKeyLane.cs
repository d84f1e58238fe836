using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>
/// The one writer per oracle key in a process: a gate serialising nonce assignment, signing, persisting
/// and sending, and the next nonce this process will use (ethereum.md §7: seed from "pending", resync on
/// "nonce too low"). Submitters on the same node client and key share one lane unless given their own.
/// </summary>
public sealed class OracleKeyLane(Address account)
{
    // Keyed by the node client too: two chains (or two test anvils) with the same key have unrelated nonces.
    private static readonly ConditionalWeakTable<EthClient, ConcurrentDictionary<Address, OracleKeyLane>> Shared = [];

    public Address Account => account;

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Only read or written while holding <see cref="Gate"/>; null means "ask the node".</summary>
    internal ulong? NextNonce { get; set; }

    public static OracleKeyLane For(EthClient eth, Address account) =>
        Shared.GetValue(eth, _ => new()).GetOrAdd(account, a => new OracleKeyLane(a));

    /// <summary>
    /// The nonce for a new transaction: never below the node's pending count (other senders, dropped
    /// transactions), never below what this process already handed out (nodes that count lazily).
    /// </summary>
    internal async Task<ulong> NextNonceAsync(EthClient eth, CancellationToken ct)
    {
        var pending = await eth.GetTransactionCountAsync(account, BlockTag.Pending, ct).ConfigureAwait(false);
        return Math.Max(pending, NextNonce ?? 0);
    }
}
