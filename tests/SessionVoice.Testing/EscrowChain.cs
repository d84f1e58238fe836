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

    public static async Task<EscrowChain> StartAsync(ulong chainId = Anvil.DefaultChainId, int? blockTime = null)
    {
        var anvil = await Anvil.StartAsync(chainId, blockTime);
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
        var createSlot = new AbiEncoder()
            .UInt(startTime, 48).UInt(durationMins, 32).UInt(amount).UInt(graceMins, 32).UInt(minOverlapMins, 32).UInt(0, 32)
            .ToCall(CreateSlotSelector);
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
