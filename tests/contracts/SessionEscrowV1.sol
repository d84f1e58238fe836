// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.20;

/// @title SessionEscrowV1 (test double written for the Session Voice test suite)
/// @notice Reproduces the parts of the production SessionEscrowV1 the service depends on:
///         the getSlot/getBooking views, the slot and booking status enums, the events the
///         watcher reads, and attest() with its exact checks, order of checks and revert
///         strings (docs: escrow-and-attestation.md). Everything else is a minimal test helper
///         (createSlot, book, cancelBooking, claimIfUnattested, finalize, setOracle) and is
///         not part of the production ABI.
/// @dev    Fixed timing parameters (set in the constructor, immutable):
///         challengeWindow = 86400 s (24 h, the documented default),
///         noAttestBuffer  = 3600 s (claimIfUnattested opens once block.timestamp > E + 3600).
///         Note: with 3600 < 7200 a claim can pre-empt a still-valid Completed attestation
///         (E + 3600 < t <= E + 7200); the service must then see the booking as not Booked.
///         cancelCutoffMins is stored and returned but not enforced by cancelBooking.
contract SessionEscrowV1 {
    // ---- slot status ----
    uint8 internal constant SLOT_OPEN = 0;
    uint8 internal constant SLOT_BOOKED = 1;
    uint8 internal constant SLOT_CANCELLED = 2;
    uint8 internal constant SLOT_SETTLED = 3;

    // ---- booking status ----
    uint8 internal constant BOOKING_NONE = 0;
    uint8 internal constant BOOKING_BOOKED = 1;
    uint8 internal constant BOOKING_CANCELLED = 2;
    uint8 internal constant BOOKING_ATTESTED = 3;
    uint8 internal constant BOOKING_DISPUTED = 4;
    uint8 internal constant BOOKING_RESOLVED = 5;
    uint8 internal constant BOOKING_FINALIZED = 6;

    // ---- oracle outcome ----
    uint8 internal constant OUTCOME_COMPLETED = 1;
    uint8 internal constant OUTCOME_NO_SHOW_HOST = 2;
    uint8 internal constant OUTCOME_NO_SHOW_GUEST = 3;

    // ---- cancel reason ----
    uint8 internal constant CANCEL_BY_GUEST = 1;
    uint8 internal constant CANCEL_BY_HOST = 2;

    /// @dev Completed may be attested up to end + 2 h.
    uint256 internal constant COMPLETED_LATE_SECONDS = 7200;
    uint32 internal constant MAX_DURATION_MINS = 240;

    struct Slot {
        address host;
        uint48 startTime;
        uint32 durationMins;
        uint256 price;
        uint32 graceMins;
        uint32 minOverlapMins;
        uint32 cancelCutoffMins;
        uint8 status;
    }

    struct Booking {
        uint256 slotId;
        address guest;
        uint256 amount;
        uint8 status;
        uint8 oracleOutcome;
        bytes32 metricsHash;
        uint48 attestedAt;
        uint48 finalizableAt;
        address challenger;
        uint256 bondAmount;
        uint48 disputedAt;
    }

    event SessionBooked(uint256 indexed bookingId, uint256 indexed slotId, address indexed guest, uint256 amount);
    event SessionBookingCancelled(
        uint256 indexed bookingId, uint8 reason, uint256 refund, uint256 penalty, uint256 hostPaid, uint256 feePaid
    );
    event Attested(uint256 indexed bookingId, uint8 outcome, bytes32 metricsHash, uint48 finalizableAt);
    event SessionRequestAccepted(
        uint256 indexed requestId, address indexed host, uint256 slotId, uint256 bookingId, uint48 startTime
    );

    address public immutable owner;
    address public oracle;
    uint256 public immutable challengeWindow;
    uint256 public immutable noAttestBuffer;

    uint256 internal lastSlotId;
    uint256 internal lastBookingId;
    mapping(uint256 => Slot) internal slots;
    mapping(uint256 => Booking) internal bookings;

    constructor(address oracle_) {
        owner = msg.sender;
        oracle = oracle_;
        challengeWindow = 86400;
        noAttestBuffer = 3600;
    }

    // ------------------------------------------------------------------ views

    function getSlot(uint256 slotId)
        external
        view
        returns (
            address host,
            uint48 startTime,
            uint32 durationMins,
            uint256 price,
            uint32 graceMins,
            uint32 minOverlapMins,
            uint32 cancelCutoffMins,
            uint8 status
        )
    {
        Slot storage s = slots[slotId];
        return (s.host, s.startTime, s.durationMins, s.price, s.graceMins, s.minOverlapMins, s.cancelCutoffMins, s.status);
    }

    /// @notice A booking id that does not exist returns all zeros (status None); it never reverts.
    function getBooking(uint256 bookingId)
        external
        view
        returns (
            uint256 slotId,
            address guest,
            uint256 amount,
            uint8 status,
            uint8 oracleOutcome,
            bytes32 metricsHash,
            uint48 attestedAt,
            uint48 finalizableAt,
            address challenger,
            uint256 bondAmount,
            uint48 disputedAt
        )
    {
        Booking storage b = bookings[bookingId];
        return (
            b.slotId,
            b.guest,
            b.amount,
            b.status,
            b.oracleOutcome,
            b.metricsHash,
            b.attestedAt,
            b.finalizableAt,
            b.challenger,
            b.bondAmount,
            b.disputedAt
        );
    }

    // ------------------------------------------------------------------ oracle

    function attest(uint256 bookingId, uint8 outcome, bytes32 metricsHash) external {
        require(msg.sender == oracle, "NOT_ORACLE");
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        require(outcome >= OUTCOME_COMPLETED && outcome <= OUTCOME_NO_SHOW_GUEST, "BAD_OUTCOME");

        Slot storage s = slots[b.slotId];
        uint256 t = block.timestamp;
        uint256 start = s.startTime;
        uint256 duration = uint256(s.durationMins) * 60;
        uint256 end = start + duration;
        uint256 graceEnd = start + uint256(s.graceMins) * 60;
        uint256 overlap = uint256(s.minOverlapMins) * 60;

        if (outcome == OUTCOME_COMPLETED) {
            require(t >= start + overlap, "OVERLAP_NOT_MET");
            require(t <= end + COMPLETED_LATE_SECONDS, "TOO_LATE");
        } else {
            require(t >= graceEnd, "GRACE_NOT_OVER");
            require(t <= graceEnd + duration, "NO_SHOW_TOO_LATE");
        }

        uint48 finalizableAt = uint48(t + challengeWindow);
        b.status = BOOKING_ATTESTED;
        b.oracleOutcome = outcome;
        b.metricsHash = metricsHash;
        b.attestedAt = uint48(t);
        b.finalizableAt = finalizableAt;
        emit Attested(bookingId, outcome, metricsHash, finalizableAt);
    }

    // ------------------------------------------------------------------ test helpers

    function setOracle(address oracle_) external {
        require(msg.sender == owner, "NOT_OWNER");
        oracle = oracle_;
    }

    /// @notice host = msg.sender; slot ids start at 1; startTime may be in the past.
    function createSlot(
        uint48 startTime,
        uint32 durationMins,
        uint256 price,
        uint32 graceMins,
        uint32 minOverlapMins,
        uint32 cancelCutoffMins
    ) external returns (uint256 slotId) {
        require(durationMins > 0 && durationMins <= MAX_DURATION_MINS, "BAD_DURATION");
        require(minOverlapMins <= durationMins, "BAD_OVERLAP");
        slotId = ++lastSlotId;
        slots[slotId] = Slot({
            host: msg.sender,
            startTime: startTime,
            durationMins: durationMins,
            price: price,
            graceMins: graceMins,
            minOverlapMins: minOverlapMins,
            cancelCutoffMins: cancelCutoffMins,
            status: SLOT_OPEN
        });
    }

    /// @notice Booking ids come from their own counter (start at 1), independent of slot ids.
    function book(uint256 slotId) external payable returns (uint256 bookingId) {
        Slot storage s = slots[slotId];
        require(s.host != address(0), "NO_SLOT");
        require(s.status == SLOT_OPEN, "SLOT_NOT_OPEN");
        require(msg.value == s.price, "WRONG_AMOUNT");
        s.status = SLOT_BOOKED;
        bookingId = ++lastBookingId;
        Booking storage b = bookings[bookingId];
        b.slotId = slotId;
        b.guest = msg.sender;
        b.amount = msg.value;
        b.status = BOOKING_BOOKED;
        emit SessionBooked(bookingId, slotId, msg.sender, msg.value);
    }

    /// @notice Guest (reason 1) or host (reason 2) cancels a Booked booking; the guest gets a full refund.
    function cancelBooking(uint256 bookingId) external {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        Slot storage s = slots[b.slotId];
        uint8 reason;
        if (msg.sender == b.guest) {
            reason = CANCEL_BY_GUEST;
        } else if (msg.sender == s.host) {
            reason = CANCEL_BY_HOST;
        } else {
            revert("NOT_PARTY");
        }
        uint256 refund = b.amount;
        b.status = BOOKING_CANCELLED;
        s.status = SLOT_CANCELLED;
        emit SessionBookingCancelled(bookingId, reason, refund, 0, 0, 0);
        _pay(b.guest, refund);
    }

    /// @notice Either party, once block.timestamp > end + noAttestBuffer and still Booked: refunds the guest.
    function claimIfUnattested(uint256 bookingId) external {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        Slot storage s = slots[b.slotId];
        require(msg.sender == b.guest || msg.sender == s.host, "NOT_PARTY");
        uint256 end = uint256(s.startTime) + uint256(s.durationMins) * 60;
        require(block.timestamp > end + noAttestBuffer, "TOO_EARLY");
        b.status = BOOKING_FINALIZED;
        s.status = SLOT_SETTLED;
        _pay(b.guest, b.amount);
    }

    /// @notice Anyone, once block.timestamp >= finalizableAt: pays the host (Completed / NoShowGuest)
    ///         or refunds the guest (NoShowHost).
    function finalize(uint256 bookingId) external {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_ATTESTED, "NOT_ATTESTED");
        require(block.timestamp >= b.finalizableAt, "CHALLENGE_WINDOW_OPEN");
        Slot storage s = slots[b.slotId];
        b.status = BOOKING_FINALIZED;
        s.status = SLOT_SETTLED;
        address to = b.oracleOutcome == OUTCOME_NO_SHOW_HOST ? b.guest : s.host;
        _pay(to, b.amount);
    }

    function _pay(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        require(ok, "TRANSFER_FAILED");
    }
}
