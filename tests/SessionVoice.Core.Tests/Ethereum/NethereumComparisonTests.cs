using System.Numerics;
using System.Text;
using Nethereum.ABI;
using Nethereum.ABI.FunctionEncoding;
using Nethereum.ABI.FunctionEncoding.Attributes;
using Nethereum.Contracts;
using Nethereum.Hex.HexConvertors.Extensions;
using Nethereum.RPC.Eth.DTOs;
using Nethereum.Signer;
using Nethereum.Util;
using SessionVoice.Core.Escrow;
using SessionVoice.Core.Ethereum;
using NAbi = Nethereum.ABI.ABIEncode;

namespace SessionVoice.Core.Tests.Ethereum;

/// <summary>
/// Our Ethereum layer against Nethereum 6.1.0 (JIT build), a second reference beside cast, over generated inputs
/// with fixed seeds: EIP-191 signatures and recovery, attest and getter calldata, getBooking decoding, the escrow's
/// events, legacy and EIP-1559 raw transactions. The last tests show where we are stricter on purpose.
/// </summary>
public class NethereumComparisonTests
{
    private const int Cases = 300;
    private static readonly string Escrow = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    [Function("attest")]
    public sealed class AttestFunction : FunctionMessage
    {
        [Parameter("uint256", "bookingId", 1)]
        public BigInteger BookingId { get; set; }

        [Parameter("uint8", "outcome", 2)]
        public byte Outcome { get; set; }

        [Parameter("bytes32", "metricsHash", 3)]
        public byte[] MetricsHash { get; set; } = [];
    }

    [Function("getBooking")]
    public sealed class GetBookingFunction : FunctionMessage
    {
        [Parameter("uint256", "bookingId", 1)]
        public BigInteger BookingId { get; set; }
    }

    [Function("getSlot")]
    public sealed class GetSlotFunction : FunctionMessage
    {
        [Parameter("uint256", "slotId", 1)]
        public BigInteger SlotId { get; set; }
    }

    [FunctionOutput]
    public sealed class BookingOutput : IFunctionOutputDTO
    {
        [Parameter("uint256", "slotId", 1)]
        public BigInteger SlotId { get; set; }

        [Parameter("address", "guest", 2)]
        public string Guest { get; set; } = "";

        [Parameter("uint256", "amount", 3)]
        public BigInteger Amount { get; set; }

        [Parameter("uint8", "status", 4)]
        public byte Status { get; set; }

        [Parameter("uint8", "oracleOutcome", 5)]
        public byte OracleOutcome { get; set; }

        [Parameter("bytes32", "metricsHash", 6)]
        public byte[] MetricsHash { get; set; } = [];

        [Parameter("uint48", "attestedAt", 7)]
        public ulong AttestedAt { get; set; }

        [Parameter("uint48", "finalizableAt", 8)]
        public ulong FinalizableAt { get; set; }

        [Parameter("address", "challenger", 9)]
        public string Challenger { get; set; } = "";

        [Parameter("uint256", "bondAmount", 10)]
        public BigInteger BondAmount { get; set; }

        [Parameter("uint48", "disputedAt", 11)]
        public ulong DisputedAt { get; set; }
    }

    [Event("SessionBooked")]
    public sealed class SessionBookedEvent : IEventDTO
    {
        [Parameter("uint256", "bookingId", 1, true)]
        public BigInteger BookingId { get; set; }

        [Parameter("uint256", "slotId", 2, true)]
        public BigInteger SlotId { get; set; }

        [Parameter("address", "guest", 3, true)]
        public string Guest { get; set; } = "";

        [Parameter("uint256", "amount", 4, false)]
        public BigInteger Amount { get; set; }
    }

    [Event("Attested")]
    public sealed class AttestedEvent : IEventDTO
    {
        [Parameter("uint256", "bookingId", 1, true)]
        public BigInteger BookingId { get; set; }

        [Parameter("uint8", "outcome", 2, false)]
        public byte Outcome { get; set; }

        [Parameter("bytes32", "metricsHash", 3, false)]
        public byte[] MetricsHash { get; set; } = [];

        [Parameter("uint48", "finalizableAt", 4, false)]
        public ulong FinalizableAt { get; set; }
    }

    private static void ForEachCase(int seed, Action<Random, int> check)
    {
        for (var i = 0; i < Cases; i++)
        {
            check(new Random(seed * 1000 + i), i);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomMessage(Random random)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 :-_.,!?é日本\u00fc\n";
        var sb = new StringBuilder();
        var length = random.Next(0, 200);
        for (var i = 0; i < length; i++)
        {
            sb.Append(alphabet[random.Next(alphabet.Length)]);
        }
        return sb.ToString();
    }

    private static string Hx(byte[] bytes) => bytes.ToHex(prefix: true);

    [Fact]
    public void Eip191_signatures_and_recoveries_equal_Nethereum()
    {
        var signer = new EthereumMessageSigner();
        ForEachCase(11, (random, i) =>
        {
            var key = GeneratedInputs.RandomKey(random);
            var message = RandomMessage(random);
            var ours = PersonalMessage.Sign(message, new PrivateKeySigner(key));
            var theirs = signer.EncodeUTF8AndSign(message, new EthECKey(key, true));
            Assert.True(theirs == ours.ToHex(), $"case {i}: message '{message}'");
            var address = new PrivateKeySigner(key).Address;
            Assert.Equal(address.ToString(), signer.EncodeUTF8AndEcRecover(message, ours.ToHex()).ToLowerInvariant());
            Assert.Equal(address, PersonalMessage.Recover(message, theirs.HexToByteArray()));
            Assert.Equal(new EthECKey(key, true).GetPublicAddress().ToLowerInvariant(), address.ToString());
        });
    }

    [Fact]
    public void Attest_and_getter_calldata_equal_Nethereum_typed_function_messages()
    {
        ForEachCase(12, (random, i) =>
        {
            var id = new BookingId(GeneratedInputs.RandomUInt(random, random.Next(1, 33)));
            var outcome = (Outcome)random.Next(1, 4);
            var hash = Hash32.FromBytes(RandomBytes(random, 32));
            var attest = new AttestFunction { BookingId = id.Value, Outcome = (byte)outcome, MetricsHash = hash.ToArray() };
            Assert.True(Hx(attest.GetCallData()) == Hex.Encode(EscrowAbi.AttestCall(id, outcome, hash)), $"case {i}: attest({id}, {outcome}, {hash})");
            Assert.Equal(Hx(new GetBookingFunction { BookingId = id.Value }.GetCallData()), Hex.Encode(EscrowAbi.GetBookingCall(id)));
            Assert.Equal(Hx(new GetSlotFunction { SlotId = id.Value }.GetCallData()), Hex.Encode(EscrowAbi.GetSlotCall(id.Value)));
        });
        Assert.Equal(new Sha3Keccack().CalculateHash(Encoding.ASCII.GetBytes("attest(uint256,uint8,bytes32)"))[..4], EscrowAbi.AttestSelector);
    }

    [Fact]
    public void GetBooking_results_decode_as_Nethereum_decodes_them()
    {
        var decoder = new FunctionCallDecoder();
        ForEachCase(13, (random, i) =>
        {
            var guest = "0x" + Convert.ToHexStringLower(RandomBytes(random, 20));
            var challenger = random.Next(3) == 0 ? "0x0000000000000000000000000000000000000000" : "0x" + Convert.ToHexStringLower(RandomBytes(random, 20));
            var status = (byte)random.Next(1, 7);
            var outcome = (byte)random.Next(0, 6);
            var uint48 = (ulong)random.NextInt64(0, 1L << 48);
            var encoded = new NAbi().GetABIEncoded(
                new ABIValue("uint256", GeneratedInputs.RandomUInt(random, random.Next(1, 33))), new ABIValue("address", guest), new ABIValue("uint256", GeneratedInputs.RandomUInt(random, 32)),
                new ABIValue("uint8", status), new ABIValue("uint8", outcome), new ABIValue("bytes32", RandomBytes(random, 32)),
                new ABIValue("uint48", uint48), new ABIValue("uint48", (ulong)random.NextInt64(0, 1L << 48)), new ABIValue("address", challenger),
                new ABIValue("uint256", GeneratedInputs.RandomUInt(random, random.Next(1, 33))), new ABIValue("uint48", (ulong)random.NextInt64(0, 1L << 48)));

            var theirs = decoder.DecodeFunctionOutput<BookingOutput>(Hx(encoded));
            var ours = EscrowAbi.DecodeBooking(new BookingId(1), encoded);
            Assert.NotNull(ours);
            Assert.Equal(theirs.SlotId, ours.SlotId);
            Assert.Equal(theirs.Guest.ToLowerInvariant(), ours.Guest.ToString());
            Assert.Equal(theirs.Amount, ours.Amount.Value);
            Assert.Equal(theirs.Status, (byte)ours.Status);
            Assert.Equal(theirs.OracleOutcome, (byte)ours.OracleOutcome);
            Assert.Equal(theirs.MetricsHash, ours.MetricsHash.ToArray());
            Assert.Equal((long)theirs.AttestedAt, ours.AttestedAt);
            Assert.Equal((long)theirs.FinalizableAt, ours.FinalizableAt);
            Assert.Equal(theirs.Challenger.ToLowerInvariant(), ours.Challenger.ToString());
            Assert.Equal(theirs.BondAmount, ours.BondAmount.Value);
            Assert.True((long)theirs.DisputedAt == ours.DisputedAt, $"case {i}");
        });
    }

    private static LogEntry Log(IEnumerable<byte[]> topics, byte[] data) =>
        new(Address.Parse(Escrow), [.. topics.Select(t => Hash32.FromBytes(t))], data, 1, Hash32.FromBytes(new byte[32]), 0, false);

    private static FilterLog Filter(LogEntry log) => new()
    {
        Address = log.Address.ToString(),
        Topics = [.. log.Topics.Select(t => (object)t.ToString())],
        Data = Hx(log.Data),
        BlockNumber = new Nethereum.Hex.HexTypes.HexBigInteger(log.BlockNumber),
        LogIndex = new Nethereum.Hex.HexTypes.HexBigInteger(log.LogIndex),
        TransactionHash = log.TransactionHash.ToString(),
    };

    [Fact]
    public void Escrow_events_decode_as_Nethereum_decodes_them()
    {
        var abi = new NAbi();
        ForEachCase(14, (random, i) =>
        {
            var id = GeneratedInputs.RandomUInt(random, random.Next(1, 33));
            var slot = GeneratedInputs.RandomUInt(random, random.Next(1, 33));
            var guest = "0x" + Convert.ToHexStringLower(RandomBytes(random, 20));
            var amount = GeneratedInputs.RandomUInt(random, random.Next(1, 33));
            var booked = Log(
                [EscrowAbi.SessionBookedTopic.ToArray(), abi.GetABIEncoded(new ABIValue("uint256", id)), abi.GetABIEncoded(new ABIValue("uint256", slot)), abi.GetABIEncoded(new ABIValue("address", guest))],
                abi.GetABIEncoded(new ABIValue("uint256", amount)));
            var theirsBooked = Event<SessionBookedEvent>.DecodeEvent(Filter(booked)).Event;
            var oursBooked = Assert.IsType<SessionBooked>(EscrowAbi.DecodeLog(booked));
            Assert.Equal(theirsBooked.BookingId, oursBooked.BookingId.Value);
            Assert.Equal(theirsBooked.SlotId, oursBooked.SlotId);
            Assert.Equal(theirsBooked.Guest.ToLowerInvariant(), oursBooked.Guest.ToString());
            Assert.Equal(theirsBooked.Amount, oursBooked.Amount.Value);

            var outcome = (byte)random.Next(0, 6);
            var metrics = RandomBytes(random, 32);
            var finalizable = (ulong)random.NextInt64(0, 1L << 48);
            var attested = Log(
                [EscrowAbi.AttestedTopic.ToArray(), abi.GetABIEncoded(new ABIValue("uint256", id))],
                abi.GetABIEncoded(new ABIValue("uint8", outcome), new ABIValue("bytes32", metrics), new ABIValue("uint48", finalizable)));
            var theirsAttested = Event<AttestedEvent>.DecodeEvent(Filter(attested)).Event;
            var oursAttested = Assert.IsType<Attested>(EscrowAbi.DecodeLog(attested));
            Assert.Equal(theirsAttested.BookingId, oursAttested.BookingId.Value);
            Assert.Equal(theirsAttested.Outcome, (byte)oursAttested.Outcome);
            Assert.Equal(theirsAttested.MetricsHash, oursAttested.MetricsHash.ToArray());
            Assert.True((long)theirsAttested.FinalizableAt == oursAttested.FinalizableAt, $"case {i}");
        });
        Assert.Equal(Hx(new Sha3Keccack().CalculateHash(Encoding.ASCII.GetBytes("SessionBooked(uint256,uint256,address,uint256)"))), EscrowAbi.SessionBookedTopic.ToString());
    }

    [Fact]
    public void Legacy_and_eip1559_raw_transactions_equal_Nethereum()
    {
        ulong[] chains = [1, 6343, 31337, 4326];
        ForEachCase(15, (random, i) =>
        {
            var key = GeneratedInputs.RandomKey(random);
            var chainId = chains[random.Next(chains.Length)];
            var nonce = (ulong)random.NextInt64(0, 1L << 40);
            var gasLimit = (ulong)random.NextInt64(21_000, 30_000_000);
            var value = random.Next(3) == 0 ? GeneratedInputs.RandomUInt(random, 8) : BigInteger.Zero;
            var data = EscrowAbi.AttestCall(new BookingId(GeneratedInputs.RandomUInt(random, random.Next(1, 33))), (Outcome)random.Next(1, 4), Hash32.FromBytes(RandomBytes(random, 32)));

            var gasPrice = GeneratedInputs.RandomUInt(random, random.Next(1, 10));
            var legacy = new LegacyTransaction(chainId, nonce, gasPrice, gasLimit, Address.Parse(Escrow), value, data).Sign(new PrivateKeySigner(key));
            var theirsLegacy = new LegacyTransactionSigner().SignTransaction(key, chainId, Escrow, value, nonce, gasPrice, gasLimit, Hx(data));
            Assert.True(theirsLegacy.EnsureHexPrefix() == legacy.RawHex, $"case {i}: legacy chain {chainId} nonce {nonce} gas {gasLimit} price {gasPrice}");

            var maxFee = GeneratedInputs.RandomUInt(random, random.Next(1, 10)) + 1;
            var tip = random.Next(4) == 0 ? BigInteger.Zero : BigInteger.Remainder(GeneratedInputs.RandomUInt(random, 9), maxFee);
            var dynamic = new Eip1559Transaction(chainId, nonce, tip, maxFee, gasLimit, Address.Parse(Escrow), value, data).Sign(new PrivateKeySigner(key));
            var transaction = new Nethereum.Model.Transaction1559(chainId, nonce, tip, maxFee, gasLimit, Escrow, value, Hx(data), []);
            var theirsDynamic = new Transaction1559Signer().SignTransaction(new EthECKey(key, true), transaction);
            Assert.True(theirsDynamic.EnsureHexPrefix() == dynamic.RawHex, $"case {i}: 1559 chain {chainId} nonce {nonce} gas {gasLimit} maxFee {maxFee} tip {tip}");
            Assert.Equal(Hx(new Sha3Keccack().CalculateHash(dynamic.Raw)), dynamic.Hash.ToString());
        });
    }

    /// <summary>
    /// Where we refuse on purpose what Nethereum takes: a high-s signature (malleable: the same signer under another
    /// signature, which would defeat single use of a signed message), an address word with dirty high bytes and a
    /// uint8 or uint48 field out of its range (a contract never returns them; a node or proxy that does is lying).
    /// </summary>
    [Fact]
    public void High_s_signatures_and_out_of_range_words_are_refused_by_us_and_taken_by_Nethereum()
    {
        var key = GeneratedInputs.RandomKey(new Random(16));
        const string message = "sign in to session voice";
        var low = PersonalMessage.Sign(message, new PrivateKeySigner(key));
        var highS = Secp256k1.Order - low.S;
        var flipped = Hex.Decode(low.ToHex());
        highS.ToByteArray(isUnsigned: true, isBigEndian: true).CopyTo(flipped, 32 + 32 - highS.GetByteCount(isUnsigned: true));
        flipped[64] = (byte)(flipped[64] == 27 ? 28 : 27);

        Assert.Null(PersonalMessage.Recover(message, flipped));
        Assert.Equal(new PrivateKeySigner(key).Address.ToString(), new EthereumMessageSigner().EncodeUTF8AndEcRecover(message, Hx(flipped)).ToLowerInvariant());

        var abi = new NAbi();
        var clean = abi.GetABIEncoded(
            new ABIValue("uint256", 1), new ABIValue("address", "0x00000000000000000000000000000000000000aa"), new ABIValue("uint256", 5),
            new ABIValue("uint8", 1), new ABIValue("uint8", 0), new ABIValue("bytes32", new byte[32]), new ABIValue("uint48", 0UL), new ABIValue("uint48", 0UL),
            new ABIValue("address", "0x0000000000000000000000000000000000000000"), new ABIValue("uint256", 0), new ABIValue("uint48", 0UL));
        Assert.NotNull(EscrowAbi.DecodeBooking(new BookingId(1), clean));

        var dirtyAddress = (byte[])clean.Clone();
        dirtyAddress[32] = 0x01;
        var wideStatus = (byte[])clean.Clone();
        wideStatus[3 * 32 + 30] = 0x01;
        var wideTime = (byte[])clean.Clone();
        wideTime[6 * 32 + 25] = 0x01;
        Assert.Throws<AbiDecodingException>(() => EscrowAbi.DecodeBooking(new BookingId(1), wideStatus));
        // Nethereum only stops a wide uint8 where the C# property cannot hold it (byte: an OverflowException).
        Assert.Throws<OverflowException>(() => new FunctionCallDecoder().DecodeFunctionOutput<BookingOutput>(Hx(wideStatus)));
        foreach (var (name, bytes) in new[] { ("dirty address", dirtyAddress), ("uint48 above 2^48", wideTime) })
        {
            Assert.Throws<AbiDecodingException>(() => EscrowAbi.DecodeBooking(new BookingId(1), bytes));
            var theirs = Record.Exception(() => new FunctionCallDecoder().DecodeFunctionOutput<BookingOutput>(Hx(bytes)));
            Assert.True(theirs is null, $"{name}: Nethereum refused it too ({theirs?.GetType().Name}); this test's premise changed");
        }
    }
}
