using System.Numerics;
using SessionVoice.Core.Ethereum;

namespace SessionVoice.Core.Escrow;

/// <summary>The SessionEscrowV1 ABI subset this service speaks: calldata in, tuples and logs out.</summary>
public static class EscrowAbi
{
    public static readonly byte[] GetSlotSelector = Abi.Selector("getSlot(uint256)");
    public static readonly byte[] GetBookingSelector = Abi.Selector("getBooking(uint256)");
    public static readonly byte[] OracleSelector = Abi.Selector("oracle()");
    public static readonly byte[] NextBookingIdSelector = Abi.Selector("nextBookingId()");
    public static readonly byte[] ChallengeWindowSelector = Abi.Selector("challengeWindow()");
    public static readonly byte[] AttestSelector = Abi.Selector("attest(uint256,uint8,bytes32)");

    public static readonly Hash32 SessionBookedTopic = Abi.EventTopic("SessionBooked(uint256,uint256,address,uint256)");
    public static readonly Hash32 SessionBookingCancelledTopic = Abi.EventTopic("SessionBookingCancelled(uint256,uint8,uint256,uint256,uint256,uint256)");
    public static readonly Hash32 AttestedTopic = Abi.EventTopic("Attested(uint256,uint8,bytes32,uint48)");
    public static readonly Hash32 SessionRequestAcceptedTopic = Abi.EventTopic("SessionRequestAccepted(uint256,address,uint256,uint256,uint48)");

    public static byte[] GetSlotCall(BigInteger slotId) => new AbiEncoder().UInt(slotId).ToCall(GetSlotSelector);

    public static byte[] GetBookingCall(BookingId id) => new AbiEncoder().UInt(id.Value).ToCall(GetBookingSelector);

    public static byte[] AttestCall(BookingId id, Outcome outcome, Hash32 metricsHash)
    {
        if (outcome is not (Outcome.Completed or Outcome.NoShowHost or Outcome.NoShowGuest))
        {
            throw new ArgumentOutOfRangeException(nameof(outcome), "only outcomes 1–3 can be attested");
        }
        return new AbiEncoder().UInt(id.Value).UInt((byte)outcome, 8).Bytes32(metricsHash).ToCall(AttestSelector);
    }

    /// <summary>Null when the slot does not exist (a zero host: slot ids start at 1 and every slot has a host).</summary>
    public static Slot? DecodeSlot(BigInteger slotId, ReadOnlyMemory<byte> result)
    {
        var r = new AbiDecoder(result);
        var host = r.Address(0);
        if (host.IsZero)
        {
            return null;
        }
        return new Slot(
            slotId,
            host,
            (long)r.UInt(1, 48),
            (uint)r.UInt(2, 32),
            new Wei(r.UInt(3)),
            (uint)r.UInt(4, 32),
            (uint)r.UInt(5, 32),
            (uint)r.UInt(6, 32),
            ToEnum<SlotStatus>(r.UInt(7, 8), 3));
    }

    /// <summary>Null for status None: the booking does not exist.</summary>
    public static Booking? DecodeBooking(BookingId id, ReadOnlyMemory<byte> result)
    {
        var r = new AbiDecoder(result);
        var status = ToEnum<BookingStatus>(r.UInt(3, 8), 6);
        if (status == BookingStatus.None)
        {
            return null;
        }
        return new Booking(
            id,
            r.UInt(0),
            r.Address(1),
            new Wei(r.UInt(2)),
            status,
            ToEnum<Outcome>(r.UInt(4, 8), 5),
            r.Bytes32(5),
            (long)r.UInt(6, 48),
            (long)r.UInt(7, 48),
            r.Address(8),
            new Wei(r.UInt(9)),
            (long)r.UInt(10, 48));
    }

    /// <summary>Decodes one of the escrow's events, or null for an event this service does not use.</summary>
    public static EscrowEvent? DecodeLog(LogEntry log)
    {
        if (log.Topics.Count == 0)
        {
            return null;
        }
        var topic0 = log.Topics[0];
        var data = new AbiDecoder(log.Data);
        if (topic0 == SessionBookedTopic && log.Topics.Count == 4)
        {
            return new SessionBooked(
                log, TopicBookingId(log.Topics[1]), TopicUInt(log.Topics[2]), TopicAddress(log.Topics[3]), new Wei(data.UInt(0)));
        }
        if (topic0 == SessionBookingCancelledTopic && log.Topics.Count == 2)
        {
            return new SessionBookingCancelled(
                log, TopicBookingId(log.Topics[1]), (byte)data.UInt(0, 8),
                new Wei(data.UInt(1)), new Wei(data.UInt(2)), new Wei(data.UInt(3)), new Wei(data.UInt(4)));
        }
        if (topic0 == AttestedTopic && log.Topics.Count == 2)
        {
            return new Attested(log, TopicBookingId(log.Topics[1]), ToEnum<Outcome>(data.UInt(0, 8), 5), data.Bytes32(1), (long)data.UInt(2, 48));
        }
        return null;
    }

    private static BookingId TopicBookingId(Hash32 topic) => new(TopicUInt(topic));

    private static BigInteger TopicUInt(Hash32 topic) => new(topic.ToArray(), isUnsigned: true, isBigEndian: true);

    private static Address TopicAddress(Hash32 topic) => new AbiDecoder(topic.ToArray()).Address(0);

    private static T ToEnum<T>(BigInteger value, int max)
        where T : struct, Enum =>
        value <= max ? (T)Enum.ToObject(typeof(T), (byte)value) : throw new AbiDecodingException($"{typeof(T).Name} {value} is not defined");
}

public abstract record EscrowEvent(LogEntry Log, BookingId BookingId);

public sealed record SessionBooked(LogEntry Log, BookingId BookingId, BigInteger SlotId, Address Guest, Wei Amount) : EscrowEvent(Log, BookingId);

public sealed record SessionBookingCancelled(LogEntry Log, BookingId BookingId, byte Reason, Wei Refund, Wei Penalty, Wei HostPaid, Wei FeePaid)
    : EscrowEvent(Log, BookingId);

public sealed record Attested(LogEntry Log, BookingId BookingId, Outcome Outcome, Hash32 MetricsHash, long FinalizableAt) : EscrowEvent(Log, BookingId);
