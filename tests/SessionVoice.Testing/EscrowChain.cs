using System.Text.Json;
using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Testing;

/// <summary>A booking as the test escrow created it.</summary>
public sealed record TestBooking(BookingId Id, BigInteger SlotId, Address Host, Address Guest, long StartTime, uint DurationMins, uint GraceMins, uint MinOverlapMins);

/// <summary>
/// The escrow's constructor parameters. The defaults are the production deploy's (fee 300 bps, challenge
/// window 24 h, bond 0.01 ETH, no-attest buffer 24 h, dispute timeout 7 days) so the tests see the rules the
/// service meets in production; a test that wants to reach <c>finalize</c> shortens the challenge window.
/// </summary>
public sealed record EscrowParameters(
    ushort FeeBps = 300,
    long ChallengeWindowSeconds = 24 * 3600,
    BigInteger? ChallengeBond = null,
    ushort LateCancelPenaltyBps = 2000,
    long NoAttestBufferSeconds = 24 * 3600,
    long DisputeTimeoutSeconds = 7 * 24 * 3600)
{
    public BigInteger Bond => ChallengeBond ?? BigInteger.Pow(10, 16);
}

/// <summary>
/// anvil with the test SessionEscrowV1 deployed (oracle = anvil account 1, treasury = account 5) and helpers
/// to create bookings through the production calls (setHostBasePrice, createSlot, book) and move chain time.
/// Test-only calls go through anvil's unlocked accounts.
/// </summary>
/// <remarks>
/// The contract refuses a slot or a booking that starts within 60 s of the block (<c>START_TOO_SOON</c>,
/// <c>TOO_LATE</c>), but the tests ask for sessions that started minutes ago or start in 30 s. For those the
/// fixture takes the chain back to 2 minutes before the start, creates and books the slot there, and then puts
/// the chain's clock back where it was (same offset from the wall clock). Afterwards the booking starts where
/// the test asked, relative to the chain's time, and the service's clock (the wall clock, a
/// <see cref="ShiftedTime"/> moved with anvil, or a separate process) still agrees with the chain: moving the
/// chain forward instead would leave every service clock behind the chain by the jump.
/// </remarks>
public sealed class EscrowChain : IAsyncDisposable
{
    /// <summary>The contract's minimum lead of a start over the block that creates or books it.</summary>
    public const long MinLeadSeconds = 60;

    private static readonly byte[] SetHostBasePriceSelector = Abi.Selector("setHostBasePrice(uint256)");
    private static readonly byte[] HostBasePriceSelector = Abi.Selector("hostBasePrice(address)");
    private static readonly byte[] CreateSlotSelector = Abi.Selector("createSlot(uint48,uint32,uint32,uint32,uint32)");
    private static readonly byte[] BookSelector = Abi.Selector("book(uint256)");
    private static readonly byte[] CancelAsGuestSelector = Abi.Selector("cancelBookingAsGuest(uint256)");
    private static readonly byte[] CancelAsHostSelector = Abi.Selector("cancelBookingAsHost(uint256)");
    private static readonly byte[] SetOracleSelector = Abi.Selector("setOracle(address)");
    private static readonly byte[] NextSlotIdSelector = Abi.Selector("nextSlotId()");
    private static readonly byte[] NextBookingIdSelector = Abi.Selector("nextBookingId()");
    private static readonly byte[] FinalizeSelector = Abi.Selector("finalize(uint256)");
    private static readonly byte[] ClaimIfUnattestedSelector = Abi.Selector("claimIfUnattested(uint256)");
    private static readonly byte[] TotalHeldSelector = Abi.Selector("totalHeld()");

    /// <summary>
    /// How far before the start a booking that is too close (or past) is created: the createSlot and book
    /// blocks must both stay more than <see cref="MinLeadSeconds"/> before it.
    /// </summary>
    private const long CreateAheadSeconds = 2 * MinLeadSeconds;

    /// <summary>A start this much beyond the minimum lead is created where the chain is, without moving its clock.</summary>
    private const long TravelSlackSeconds = 15;

    private readonly SemaphoreSlim _bookingGate = new(1, 1);

    private EscrowChain(Anvil anvil, Address escrow, EscrowParameters parameters)
    {
        Anvil = anvil;
        EscrowAddress = escrow;
        Escrow = new EscrowClient(anvil.Eth, escrow);
        Parameters = parameters;
    }

    public Anvil Anvil { get; }

    public Address EscrowAddress { get; }

    public EscrowClient Escrow { get; }

    public EscrowParameters Parameters { get; }

    public ulong DeploymentBlock { get; private set; }

    public static Address Oracle => AnvilAccounts.Address(AnvilAccounts.Oracle);

    public static Address Treasury => AnvilAccounts.Address(AnvilAccounts.Treasury);

    public static async Task<EscrowChain> StartAsync(
        ulong chainId = Anvil.DefaultChainId, int? blockTime = null, IEnumerable<string>? anvilArgs = null, EscrowParameters? parameters = null)
    {
        var settings = parameters ?? new EscrowParameters();
        var anvil = await Anvil.StartAsync(chainId, blockTime, anvilArgs);
        try
        {
            var artifact = await ContractArtifacts.LoadAsync("SessionEscrowV1");
            var address = await anvil.DeployAsync(AnvilAccounts.Address(AnvilAccounts.Deployer), CreationCode(artifact, Oracle, Treasury, settings));
            var chain = new EscrowChain(anvil, address, settings) { DeploymentBlock = await anvil.Eth.BlockNumberAsync() };
            return chain;
        }
        catch
        {
            await anvil.DisposeAsync();
            throw;
        }
    }

    /// <summary>The escrow's creation code with the eight constructor arguments.</summary>
    public static byte[] CreationCode(ContractArtifact artifact, Address oracle, Address treasury, EscrowParameters parameters) =>
        [.. artifact.Bytecode, .. new AbiEncoder()
            .Address(oracle).Address(treasury).UInt(parameters.FeeBps, 16).UInt(parameters.ChallengeWindowSeconds, 48)
            .UInt(parameters.Bond).UInt(parameters.LateCancelPenaltyBps, 16).UInt(parameters.NoAttestBufferSeconds, 48)
            .UInt(parameters.DisputeTimeoutSeconds, 48)
            .ToArray()];

    /// <summary>The chain's current time, as the next block would see it (mines one block).</summary>
    public Task<long> NowAsync() => Anvil.MineAsync();

    /// <summary>
    /// Creates a slot for <paramref name="host"/> starting at <paramref name="startTime"/> (may be in the
    /// past or less than a minute ahead: see the remarks on <see cref="EscrowChain"/>) and books it for
    /// <paramref name="guest"/> at <paramref name="price"/> (the host's base price, set when it differs).
    /// </summary>
    public async Task<TestBooking> CreateBookingAsync(
        long startTime,
        uint durationMins = 30,
        uint graceMins = 5,
        uint minOverlapMins = 10,
        Address? host = null,
        Address? guest = null,
        BigInteger? price = null)
    {
        var hostAddress = host ?? AnvilAccounts.Address(AnvilAccounts.Host);
        var guestAddress = guest ?? AnvilAccounts.Address(AnvilAccounts.Guest);
        var amount = price ?? BigInteger.Pow(10, 16);
        var createSlot = CreateSlotCall(startTime, durationMins, graceMins, minOverlapMins);
        await _bookingGate.WaitAsync();
        try
        {
            await EnsureBasePriceAsync(hostAddress, amount);
            return await BeforeStartAsync(startTime, CreateAheadSeconds, async () =>
            {
                var slotReceipt = EnsureSucceeded(await Anvil.SendAsync(hostAddress, EscrowAddress, createSlot), "createSlot");
                var slotId = new BigInteger(slotReceipt.Logs.Single(l => l.Address == EscrowAddress).Topics[1].ToArray(), isUnsigned: true, isBigEndian: true);
                var receipt = EnsureSucceeded(await Anvil.SendAsync(guestAddress, EscrowAddress, new AbiEncoder().UInt(slotId).ToCall(BookSelector), amount), "book");
                var booked = receipt.Logs.Select(EscrowAbi.DecodeLog).OfType<SessionBooked>().Single();
                return new TestBooking(booked.BookingId, slotId, hostAddress, guestAddress, startTime, durationMins, graceMins, minOverlapMins);
            });
        }
        finally
        {
            _bookingGate.Release();
        }
    }

    /// <summary>createSlot(start, duration, grace, minOverlap, cancelCutoff = 0) calldata (the price is the host's base price).</summary>
    private static byte[] CreateSlotCall(long startTime, uint durationMins, uint graceMins, uint minOverlapMins) =>
        new AbiEncoder()
            .UInt(startTime, 48).UInt(durationMins, 32).UInt(graceMins, 32).UInt(minOverlapMins, 32).UInt(0, 32)
            .ToCall(CreateSlotSelector);

    /// <summary>
    /// setHostBasePrice when the host's base price on chain differs (createSlot snapshots it into the slot). Read
    /// from the chain, not remembered: a test's evm_revert or rollback may have undone an earlier setting.
    /// </summary>
    private async Task EnsureBasePriceAsync(Address host, BigInteger price)
    {
        if (await ReadUIntAsync(new AbiEncoder().Address(host).ToCall(HostBasePriceSelector)) == price)
        {
            return;
        }
        EnsureSucceeded(await Anvil.SendAsync(host, EscrowAddress, new AbiEncoder().UInt(price).ToCall(SetHostBasePriceSelector)), "setHostBasePrice");
    }

    /// <summary>
    /// Runs <paramref name="create"/> with the chain's clock at least <paramref name="aheadSeconds"/> before
    /// <paramref name="startTime"/>: directly when the start is far enough ahead, otherwise with the clock taken
    /// back there (evm_setTime) and, afterwards, put back at the same offset from the wall clock as before and
    /// a block mined there, so the latest block shows the chain's "now" again. A start well ahead of the latest
    /// block mines nothing extra: the watcher tests count blocks.
    /// </summary>
    private async Task<T> BeforeStartAsync<T>(long startTime, long aheadSeconds, Func<Task<T>> create)
    {
        var latest = (long)(await Anvil.Eth.GetBlockAsync(BlockTag.Latest))!.Timestamp;
        if (startTime - latest > aheadSeconds + 600)
        {
            return await create();
        }
        var now = await NowAsync();
        var offset = now - DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (startTime - now > MinLeadSeconds + TravelSlackSeconds)
        {
            return await create();
        }
        await SetTimeAsync(startTime - aheadSeconds);
        try
        {
            return await create();
        }
        finally
        {
            await SetTimeAsync(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + offset);
            await Anvil.MineAsync();
        }
    }

    /// <summary>evm_setTime: the next blocks count on from <paramref name="unixSeconds"/> (it may be earlier than the latest block).</summary>
    private async Task SetTimeAsync(long unixSeconds) => await Anvil.RawAsync("evm_setTime", Hex.EncodeQuantity((ulong)unixSeconds));

    private async Task<BigInteger> ReadUIntAsync(byte[] call) =>
        new AbiDecoder(await Anvil.Eth.CallAsync(new CallRequest(EscrowAddress, call))).UInt(0);

    /// <summary>
    /// Creates <paramref name="count"/> bookings like <see cref="CreateBookingAsync"/>, fast: the host's
    /// createSlot and then the guest's book transactions are signed here with consecutive nonces, sent in
    /// JSON-RPC batches without waiting for each, and mined together (a large --gas-limit packs them in
    /// few blocks). Returns them in booking id order, checked against the chain.
    /// </summary>
    public async Task<IReadOnlyList<TestBooking>> CreateBookingsAsync(
        int count, long startTime, uint durationMins = 30, uint graceMins = 5, uint minOverlapMins = 10, BigInteger? price = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var host = AnvilAccounts.Signer(AnvilAccounts.Host);
        var guest = AnvilAccounts.Signer(AnvilAccounts.Guest);
        var amount = price ?? BigInteger.Pow(10, 16);
        var createSlot = CreateSlotCall(startTime, durationMins, graceMins, minOverlapMins);
        await _bookingGate.WaitAsync();
        try
        {
            await EnsureBasePriceAsync(host.Address, amount);
            var chainId = await Anvil.Eth.ChainIdAsync();
            // Many blocks are mined while the batches go in (minutes for 10 000): keep an hour in hand before the start.
            var (firstSlot, firstBooking) = await BeforeStartAsync(startTime, CreateAheadSeconds + 3600, async () =>
            {
                var firstSlot = await ReadUIntAsync(NextSlotIdSelector);
                await SendAllAsync(host, chainId, Enumerable.Range(0, count).Select(_ => (createSlot, BigInteger.Zero)));
                var book = (int i) => new AbiEncoder().UInt(firstSlot + i).ToCall(BookSelector);
                var firstBooking = await ReadUIntAsync(NextBookingIdSelector);
                await SendAllAsync(guest, chainId, Enumerable.Range(0, count).Select(i => (book(i), amount)));
                return (firstSlot, firstBooking);
            });
            var ids = Enumerable.Range(0, count).Select(i => new BookingId(firstBooking + i)).ToList();
            var bookings = new List<TestBooking>(count);
            foreach (var chunk in ids.Chunk(500))
            {
                var read = await Escrow.GetBookingsAsync(chunk);
                for (var i = 0; i < chunk.Length; i++)
                {
                    var slotId = firstSlot + bookings.Count;
                    if (read[i] is not { Status: BookingStatus.Booked } booked || booked.SlotId != slotId || booked.Guest != guest.Address)
                    {
                        throw new InvalidOperationException($"booking {chunk[i]} is not the booking of slot {slotId}");
                    }
                    bookings.Add(new TestBooking(chunk[i], slotId, host.Address, guest.Address, startTime, durationMins, graceMins, minOverlapMins));
                }
            }
            return bookings;
        }
        finally
        {
            _bookingGate.Release();
        }
    }

    /// <summary>
    /// Signs the calls with consecutive nonces and sends them in JSON-RPC batches with automine off, mining
    /// every 1 000 (anvil slows down with a long queue from one sender); checks every receipt.
    /// </summary>
    private async Task SendAllAsync(PrivateKeySigner from, ulong chainId, IEnumerable<(byte[] Data, BigInteger Value)> calls)
    {
        const ulong gas = 300_000;
        var nonce = await Anvil.Eth.GetTransactionCountAsync(from.Address, BlockTag.Pending);
        var tip = BigInteger.Pow(10, 9);
        var automine = (await Anvil.RawAsync("anvil_getAutomine")).GetBoolean();
        var hashes = new List<Hash32>();
        if (automine)
        {
            await Anvil.SetAutomineAsync(false);
        }
        try
        {
            foreach (var round in calls.Chunk(1000))
            {
                var maxFee = ((await Anvil.Eth.GetBlockAsync(BlockTag.Latest))?.BaseFeePerGas ?? 0) * 4 + tip;
                foreach (var batch in round.Chunk(250))
                {
                    var requests = new List<RpcRequest>(batch.Length);
                    foreach (var (data, value) in batch)
                    {
                        var signed = new Eip1559Transaction(chainId, nonce++, tip, maxFee, gas, EscrowAddress, value, data).Sign(from);
                        hashes.Add(signed.Hash);
                        requests.Add(new RpcRequest("eth_sendRawTransaction", signed.RawHex));
                    }
                    foreach (var response in await Anvil.Rpc.SendBatchAsync(requests, default))
                    {
                        response.GetResultOrThrow("eth_sendRawTransaction");
                    }
                }
                for (var blocks = 0; await Anvil.Eth.GetTransactionCountAsync(from.Address, BlockTag.Latest) < nonce; blocks++)
                {
                    if (blocks > 1000)
                    {
                        throw new TimeoutException("the transactions were not mined");
                    }
                    await Anvil.RawAsync("evm_mine");
                }
            }
        }
        finally
        {
            if (automine)
            {
                await Anvil.SetAutomineAsync(true);
            }
        }
        foreach (var chunk in hashes.Chunk(500))
        {
            // On a chain with its own block timer a receipt can lag the nonce count by a moment: a null receipt is asked again.
            for (var attempt = 0; ; attempt++)
            {
                var receipts = await Anvil.Rpc.SendBatchAsync([.. chunk.Select(h => new RpcRequest("eth_getTransactionReceipt", h.ToString()))], default);
                if (receipts.Any(r => r.Result is not { ValueKind: JsonValueKind.Object }))
                {
                    if (attempt >= 50)
                    {
                        throw new TimeoutException("a bulk transaction has no receipt");
                    }
                    await Task.Delay(20);
                    continue;
                }
                if (receipts.Any(r => r.Result!.Value.GetProperty("status").GetString() != "0x1"))
                {
                    throw new InvalidOperationException("a bulk transaction reverted");
                }
                break;
            }
        }
    }

    /// <summary>
    /// Cancels a booking before its start as <paramref name="by"/>: cancelBookingAsGuest for the guest (free
    /// before the cutoff: the fixture's slots have none), cancelBookingAsHost for the host (full refund).
    /// </summary>
    public async Task<TransactionReceipt> CancelAsync(BookingId id, Address by)
    {
        var booking = await Escrow.GetBookingAsync(id) ?? throw new InvalidOperationException($"booking {id} does not exist");
        var asGuest = booking.Guest == by;
        var call = new AbiEncoder().UInt(id.Value).ToCall(asGuest ? CancelAsGuestSelector : CancelAsHostSelector);
        return EnsureSucceeded(await Anvil.SendAsync(by, EscrowAddress, call), asGuest ? "cancelBookingAsGuest" : "cancelBookingAsHost");
    }

    public async Task SetOracleAsync(Address oracle) =>
        EnsureSucceeded(await Anvil.SendAsync(AnvilAccounts.Address(AnvilAccounts.Deployer), EscrowAddress, new AbiEncoder().Address(oracle).ToCall(SetOracleSelector)), "setOracle");

    /// <summary>finalize(bookingId) sent by <paramref name="by"/> (anyone may call it).</summary>
    public Task<TransactionReceipt> FinalizeAsync(BookingId id, Address by) =>
        SendExplainedAsync(by, new AbiEncoder().UInt(id.Value).ToCall(FinalizeSelector), "finalize");

    /// <summary>claimIfUnattested(bookingId) sent by <paramref name="by"/> (a party of the booking).</summary>
    public Task<TransactionReceipt> ClaimIfUnattestedAsync(BookingId id, Address by) =>
        SendExplainedAsync(by, new AbiEncoder().UInt(id.Value).ToCall(ClaimIfUnattestedSelector), "claimIfUnattested");

    /// <summary>Sends a call that must succeed; a revert is reported with the contract's reason (and the block's time), read by simulating it.</summary>
    private async Task<TransactionReceipt> SendExplainedAsync(Address from, byte[] data, string what)
    {
        try
        {
            await Anvil.Eth.CallAsync(new CallRequest(EscrowAddress, data, from), BlockTag.Pending);
        }
        catch (RpcException e) when (e.Kind == RpcErrorKind.Reverted)
        {
            var latest = (await Anvil.Eth.GetBlockAsync(BlockTag.Latest))!.Timestamp;
            throw new InvalidOperationException($"{what} would revert ({e.Error.Revert}) after the block at {latest}", e);
        }
        return EnsureSucceeded(await Anvil.SendAsync(from, EscrowAddress, data), what);
    }

    /// <summary>The wei the escrow holds for open bookings, requests, bonds and failed payouts.</summary>
    public Task<BigInteger> TotalHeldAsync() => ReadUIntAsync(TotalHeldSelector);

    private static TransactionReceipt EnsureSucceeded(TransactionReceipt receipt, string what) =>
        receipt.Succeeded ? receipt : throw new InvalidOperationException($"{what} reverted");

    public async ValueTask DisposeAsync()
    {
        await Anvil.DisposeAsync();
        _bookingGate.Dispose();
    }
}
