using System.Numerics;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Testing;

/// <summary>A booking as the test escrow created it.</summary>
public sealed record TestBooking(BookingId Id, BigInteger SlotId, Address Host, Address Guest, long StartTime, uint DurationMins, uint GraceMins, uint MinOverlapMins);

/// <summary>
/// anvil with our test SessionEscrowV1 deployed (oracle = anvil account 1) and helpers to create
/// bookings and move chain time. Test-only calls go through anvil's unlocked accounts.
/// </summary>
public sealed class EscrowChain : IAsyncDisposable
{
    private static readonly byte[] CreateSlotSelector = Abi.Selector("createSlot(uint48,uint32,uint256,uint32,uint32,uint32)");
    private static readonly byte[] BookSelector = Abi.Selector("book(uint256)");
    private static readonly byte[] CancelSelector = Abi.Selector("cancelBooking(uint256)");
    private static readonly byte[] SetOracleSelector = Abi.Selector("setOracle(address)");
    private readonly SemaphoreSlim _bookingGate = new(1, 1);

    private EscrowChain(Anvil anvil, Address escrow)
    {
        Anvil = anvil;
        EscrowAddress = escrow;
        Escrow = new EscrowClient(anvil.Eth, escrow);
    }

    public Anvil Anvil { get; }

    public Address EscrowAddress { get; }

    public EscrowClient Escrow { get; }

    public ulong DeploymentBlock { get; private set; }

    public static Address Oracle => AnvilAccounts.Address(AnvilAccounts.Oracle);

    public static async Task<EscrowChain> StartAsync(ulong chainId = Anvil.DefaultChainId, int? blockTime = null, IEnumerable<string>? anvilArgs = null)
    {
        var anvil = await Anvil.StartAsync(chainId, blockTime, anvilArgs);
        try
        {
            var artifact = await ContractArtifacts.LoadAsync("SessionEscrowV1");
            var creation = artifact.Bytecode.Concat(new AbiEncoder().Address(Oracle).ToArray()).ToArray();
            var address = await anvil.DeployAsync(AnvilAccounts.Address(AnvilAccounts.Deployer), creation);
            var chain = new EscrowChain(anvil, address) { DeploymentBlock = await anvil.Eth.BlockNumberAsync() };
            return chain;
        }
        catch
        {
            await anvil.DisposeAsync();
            throw;
        }
    }

    /// <summary>The chain's current time, as the next block would see it (mines one block).</summary>
    public Task<long> NowAsync() => Anvil.MineAsync();

    /// <summary>
    /// Creates a slot for <paramref name="host"/> starting at <paramref name="startTime"/> (may be in the
    /// past) and books it for <paramref name="guest"/>.
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
        var createSlot = CreateSlotCall(startTime, durationMins, amount, graceMins, minOverlapMins);
        await _bookingGate.WaitAsync();
        try
        {
            // Slot ids are sequential: the simulated return value is the id the transaction will get.
            var slotId = new AbiDecoder(await Anvil.Eth.CallAsync(new CallRequest(EscrowAddress, createSlot, hostAddress))).UInt(0);
            EnsureSucceeded(await Anvil.SendAsync(hostAddress, EscrowAddress, createSlot), "createSlot");
            var receipt = EnsureSucceeded(await Anvil.SendAsync(guestAddress, EscrowAddress, new AbiEncoder().UInt(slotId).ToCall(BookSelector), amount), "book");
            var booked = receipt.Logs.Select(EscrowAbi.DecodeLog).OfType<SessionBooked>().Single();
            return new TestBooking(booked.BookingId, slotId, hostAddress, guestAddress, startTime, durationMins, graceMins, minOverlapMins);
        }
        finally
        {
            _bookingGate.Release();
        }
    }

    /// <summary>createSlot(start, duration, price, grace, minOverlap, cancelCutoff = 0) calldata.</summary>
    private static byte[] CreateSlotCall(long startTime, uint durationMins, BigInteger price, uint graceMins, uint minOverlapMins) =>
        new AbiEncoder()
            .UInt(startTime, 48).UInt(durationMins, 32).UInt(price).UInt(graceMins, 32).UInt(minOverlapMins, 32).UInt(0, 32)
            .ToCall(CreateSlotSelector);

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
        var createSlot = CreateSlotCall(startTime, durationMins, amount, graceMins, minOverlapMins);
        await _bookingGate.WaitAsync();
        try
        {
            var chainId = await Anvil.Eth.ChainIdAsync();
            var firstSlot = new AbiDecoder(await Anvil.Eth.CallAsync(new CallRequest(EscrowAddress, createSlot, host.Address))).UInt(0);
            await SendAllAsync(host, chainId, Enumerable.Range(0, count).Select(_ => (createSlot, BigInteger.Zero)));
            var book = (int i) => new AbiEncoder().UInt(firstSlot + i).ToCall(BookSelector);
            var firstBooking = new AbiDecoder(await Anvil.Eth.CallAsync(new CallRequest(EscrowAddress, book(0), guest.Address, amount))).UInt(0);
            await SendAllAsync(guest, chainId, Enumerable.Range(0, count).Select(i => (book(i), amount)));
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
            var receipts = await Anvil.Rpc.SendBatchAsync([.. chunk.Select(h => new RpcRequest("eth_getTransactionReceipt", h.ToString()))], default);
            if (receipts.Any(r => r.Result is not { } receipt || receipt.GetProperty("status").GetString() != "0x1"))
            {
                throw new InvalidOperationException("a bulk transaction reverted");
            }
        }
    }

    public async Task<TransactionReceipt> CancelAsync(BookingId id, Address by) =>
        EnsureSucceeded(await Anvil.SendAsync(by, EscrowAddress, new AbiEncoder().UInt(id.Value).ToCall(CancelSelector)), "cancelBooking");

    public async Task SetOracleAsync(Address oracle) =>
        EnsureSucceeded(await Anvil.SendAsync(AnvilAccounts.Address(AnvilAccounts.Deployer), EscrowAddress, new AbiEncoder().Address(oracle).ToCall(SetOracleSelector)), "setOracle");

    private static TransactionReceipt EnsureSucceeded(TransactionReceipt receipt, string what) =>
        receipt.Succeeded ? receipt : throw new InvalidOperationException($"{what} reverted");

    public async ValueTask DisposeAsync()
    {
        await Anvil.DisposeAsync();
        _bookingGate.Dispose();
    }
}
