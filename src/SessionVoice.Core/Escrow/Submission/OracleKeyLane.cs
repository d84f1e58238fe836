using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow.Submission;

/// <summary>
/// The one writer per oracle key in a process: a gate serialising nonce assignment, signing, persisting
/// and sending, and the next nonce this process will use (ethereum.md §7: seed from "pending", resync on
/// "nonce too low"). One per key per process: the host creates it once (a singleton) and gives it to every
/// submitter of the key, so submitters made per actor turn share it. Receipt lookups of its submissions are
/// coalesced per node client here too.
/// </summary>
public sealed class OracleKeyLane(Address account, TimeProvider? time = null)
{
    /// <summary>Ages the shared head and fee quote (the system clock unless a test moves one).</summary>
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Address Account => account;

    internal SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>
    /// The chain id the node was seen to answer (0: not asked yet): every submitter of the lane configured for it
    /// (one per actor turn in Dapr mode) skips asking again.
    /// </summary>
    internal ulong VerifiedChainId
    {
        get => Interlocked.Read(ref _verifiedChainId);
        set => Interlocked.Exchange(ref _verifiedChainId, value);
    }

    private ulong _verifiedChainId;

    /// <summary>Steps of this key's submissions under way at once (a step never waits for a block).</summary>
    internal const int MaxInFlight = 256;

    /// <summary>New transactions prepared at once (re-read, estimate, then the <see cref="Gate"/> to sign and send).</summary>
    internal const int MaxPreparing = 32;

    /// <summary>Bounds the node calls of concurrent steps; see <see cref="MaxOutstanding"/> for what may wait in a pool.</summary>
    internal SemaphoreSlim InFlight { get; } = new(MaxInFlight, MaxInFlight);

    /// <summary>
    /// Of those, <see cref="MaxPreparing"/> at a time reach the node to prepare theirs; only signing and sending
    /// need the one-at-a-time <see cref="Gate"/>.
    /// </summary>
    internal SemaphoreSlim Preparing { get; } = new(MaxPreparing, MaxPreparing);

    /// <summary>
    /// Bookings of this key with a transaction sent and not yet mined, at most: a burst of due attestations gets a
    /// block's worth and more into the pool, but not thousands (node pools cap what one sender may have pending,
    /// and anvil's automine crawls with a long queue). Past it, a new send waits for the next check.
    /// </summary>
    internal const int MaxOutstanding = 1024;

    private readonly HashSet<BookingId> _outstanding = [];

    /// <summary>How long one fee quote serves every new transaction of the lane.</summary>
    internal static readonly TimeSpan FeeQuoteMaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _quoteGate = new();
    private (Task<AttestationFees> Quote, long QuotedAt, TransactionType Type, System.Numerics.BigInteger? FixedGasPrice)? _quote;

    /// <summary>Only read or written while holding <see cref="Gate"/>; null means "ask the node".</summary>
    internal ulong? NextNonce { get; set; }

    private readonly HashSet<BookingId> _waitingForPlace = [];

    /// <summary>A place among the <see cref="MaxOutstanding"/> for a new send of this booking; false when all are taken.</summary>
    internal bool TryTakePlace(BookingId id)
    {
        lock (_outstanding)
        {
            if (_outstanding.Contains(id) || (_outstanding.Count < MaxOutstanding && _outstanding.Add(id)))
            {
                _waitingForPlace.Remove(id);
                return true;
            }
            _waitingForPlace.Add(id);
            return false;
        }
    }

    /// <summary>
    /// How long a booking refused a place should wait before asking again: a second per <see cref="MaxOutstanding"/>
    /// bookings waiting, so ten thousand due at once do not ask every second (each ask is an evaluation and a write).
    /// </summary>
    internal TimeSpan PlaceRetry()
    {
        lock (_outstanding)
        {
            return TimeSpan.FromSeconds(1 + (_waitingForPlace.Count / MaxOutstanding));
        }
    }

    private SharedRead<ulong>? _head;

    /// <summary>The chain's head, asked of the node at most once per <see cref="FeeQuoteMaxAge"/> for the whole lane (confirmation counts).</summary>
    internal Task<ulong> HeadAsync(EthClient eth, CancellationToken ct) =>
        LazyInitializer.EnsureInitialized(ref _head, () => new SharedRead<ulong>(() => eth.BlockNumberAsync(CancellationToken.None), FeeQuoteMaxAge, _time)).GetAsync(ct);

    /// <summary>The booking has a transaction out (resumed, replaced, re-sent): it holds a place whatever the count.</summary>
    internal void Occupy(BookingId id)
    {
        lock (_outstanding)
        {
            _outstanding.Add(id);
        }
    }

    internal void FreePlace(BookingId id)
    {
        lock (_outstanding)
        {
            _outstanding.Remove(id);
            _waitingForPlace.Remove(id);
        }
    }

    private readonly Lock _receiptsGate = new();
    private ReceiptLookups? _receipts;

    /// <summary>The coalesced receipt lookups on <paramref name="eth"/> (one node client per lane in the service).</summary>
    internal ReceiptLookups Receipts(EthClient eth)
    {
        lock (_receiptsGate)
        {
            if (_receipts is null || !ReferenceEquals(_receipts.Eth, eth))
            {
                _receipts = new ReceiptLookups(eth);
            }
            return _receipts;
        }
    }

    /// <summary>
    /// Fees for a new transaction, asked of the node at most once per <see cref="FeeQuoteMaxAge"/> for the whole
    /// lane: a burst of attestations costs two calls a second instead of two per transaction. A second-old quote
    /// still gets in: its cap (2 × base fee + tip) leaves room for the base fee to double.
    /// </summary>
    internal Task<AttestationFees> QuoteFeesAsync(EthClient eth, SubmitterOptions options, CancellationToken ct)
    {
        lock (_quoteGate)
        {
            var now = _time.GetTimestamp();
            if (_quote is not { } last
                || last.Type != options.TransactionType || last.FixedGasPrice != options.FixedGasPrice
                || !last.Quote.IsCompletedSuccessfully && last.Quote.IsCompleted
                || _time.GetElapsedTime(last.QuotedAt, now) > FeeQuoteMaxAge)
            {
                // Not bound to one caller's token: every caller of this second shares it.
                _quote = (AttestationFees.QuoteAsync(eth, options, CancellationToken.None), now, options.TransactionType, options.FixedGasPrice);
            }
            return _quote.Value.Quote.WaitAsync(ct);
        }
    }

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
