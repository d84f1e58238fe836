// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title SessionEscrowV1 (test double written for the Session Voice test suite)
/// @notice Offers the production escrow's external interface and rules (ETH-native): the same
///         constructor, getters, setters, slot / booking / request calls, the same order of checks
///         and the same revert strings, so that the service and the test fixture talk to it exactly
///         as they talk to production. The service itself only reads getSlot/getBooking/oracle/
///         challengeWindow, watches the events and calls attest(); everything else is here so the
///         tests create bookings and move money through the real calls (createSlot + book,
///         finalize, claimIfUnattested), not through test-only shortcuts.
/// @dev    Written for the tests; no imports; its own reentrancy guard. A payout that fails is kept
///         in `owed` (pull), so one reverting recipient never blocks settlement of a booking.
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

    // ---- outcome (also the reason of SessionBookingCancelled) ----
    uint8 internal constant OUTCOME_NONE = 0;
    uint8 internal constant OUTCOME_COMPLETED = 1;
    uint8 internal constant OUTCOME_NO_SHOW_HOST = 2;
    uint8 internal constant OUTCOME_NO_SHOW_GUEST = 3;
    uint8 internal constant OUTCOME_CANCELLED_BY_HOST = 4;
    uint8 internal constant OUTCOME_CANCELLED_BY_GUEST = 5;

    // ---- request status ----
    uint8 internal constant REQUEST_NONE = 0;
    uint8 internal constant REQUEST_OPEN = 1;
    uint8 internal constant REQUEST_CANCELLED = 2;
    uint8 internal constant REQUEST_ACCEPTED = 3;

    /// @dev Completed may be attested up to end + 2 h.
    uint256 internal constant COMPLETED_LATE_SECONDS = 7200;
    /// @dev A slot (and a booking) must start more than a minute after the block that creates it.
    uint256 internal constant MIN_LEAD_SECONDS = 60;
    uint32 internal constant MAX_DURATION_MINS = 240;
    uint32 internal constant MAX_CANCEL_CUTOFF_MINS = 10080;
    uint256 internal constant MAX_BATCH = 200;
    uint16 internal constant MAX_FEE_BPS = 2000;
    uint16 internal constant BPS = 10000;

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

    struct Request {
        address hostTarget;
        address guest;
        uint48 windowStart;
        uint48 windowEnd;
        uint32 durationMins;
        uint256 amount;
        uint48 expiry;
        uint8 status;
        uint256 slotId;
        uint256 bookingId;
        address host;
    }

    /// @dev One element of createSlots: the arguments of createSlot.
    struct SlotInput {
        uint48 startTime;
        uint32 durationMins;
        uint32 graceMins;
        uint32 minOverlapMins;
        uint32 cancelCutoffMins;
    }

    event HostBasePriceSet(address indexed host, uint256 price);
    event SessionSlotCreated(
        uint256 indexed slotId, address indexed host, uint48 startTime, uint32 durationMins, uint256 price
    );
    event SessionSlotCancelled(uint256 indexed slotId);
    event SessionBooked(uint256 indexed bookingId, uint256 indexed slotId, address indexed guest, uint256 amount);
    event SessionBookingCancelled(
        uint256 indexed bookingId, uint8 reason, uint256 refund, uint256 penalty, uint256 hostPaid, uint256 feePaid
    );
    event SessionRequestCreated(
        uint256 indexed requestId,
        address indexed guest,
        address indexed hostTarget,
        uint48 windowStart,
        uint48 windowEnd,
        uint32 durationMins,
        uint256 amount,
        uint48 expiry
    );
    event SessionRequestCancelled(uint256 indexed requestId);
    event SessionRequestAccepted(
        uint256 indexed requestId, address indexed host, uint256 slotId, uint256 bookingId, uint48 startTime
    );
    event Attested(uint256 indexed bookingId, uint8 outcome, bytes32 metricsHash, uint48 finalizableAt);
    event Challenged(uint256 indexed bookingId, address indexed challenger, uint256 bond);
    event Resolved(uint256 indexed bookingId, uint8 finalOutcome);
    event Finalized(uint256 indexed bookingId, uint8 finalOutcome, uint256 hostPaid, uint256 guestRefund, uint256 feePaid);
    event UnattestedRefunded(uint256 indexed bookingId, uint256 refund);
    event PayoutOwed(address indexed to, uint256 amount);
    event OwedWithdrawn(address indexed owner, address indexed to, uint256 amount);
    event Swept(address indexed treasury, uint256 amount);
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    event OracleSet(address indexed oracle);
    event TreasurySet(address indexed treasury);
    event ParameterSet(string name, uint256 value);

    address public owner;
    address public oracle;
    address public treasury;
    uint16 public feeBps;
    uint48 public challengeWindow;
    uint256 public challengeBond;
    uint16 public lateCancelPenaltyBps;
    uint48 public noAttestBuffer;
    uint48 public disputeTimeout;

    mapping(address => uint256) public hostBasePrice;
    /// @notice Wei the contract holds for bookings, requests, bonds and failed payouts; sweep() never touches it.
    uint256 public totalHeld;
    mapping(address => uint256) public owed;
    uint256 public nextSlotId = 1;
    uint256 public nextBookingId = 1;
    uint256 public nextRequestId = 1;
    mapping(uint256 => uint256) public slotToBooking;

    mapping(uint256 => Slot) internal slots;
    mapping(uint256 => Booking) internal bookings;
    mapping(uint256 => Request) internal requests;
    /// @dev The outcome a dispute ended with (resolveDispute or the timeout), used by finalize.
    mapping(uint256 => uint8) internal resolvedOutcome;

    uint256 private _lock = 1;

    modifier nonReentrant() {
        require(_lock == 1, "REENTRANCY");
        _lock = 2;
        _;
        _lock = 1;
    }

    modifier onlyOwner() {
        require(msg.sender == owner, "NOT_OWNER");
        _;
    }

    constructor(
        address oracle_,
        address treasury_,
        uint16 feeBps_,
        uint48 challengeWindowSeconds_,
        uint256 challengeBond_,
        uint16 lateCancelPenaltyBps_,
        uint48 noAttestBufferSeconds_,
        uint48 disputeTimeoutSeconds_
    ) {
        require(oracle_ != address(0) && treasury_ != address(0), "BAD_ADDR");
        require(feeBps_ <= MAX_FEE_BPS, "FEE_TOO_HIGH");
        require(lateCancelPenaltyBps_ <= BPS, "PENALTY_TOO_HIGH");
        require(challengeBond_ > 0, "ZERO_BOND");
        owner = msg.sender;
        oracle = oracle_;
        treasury = treasury_;
        feeBps = feeBps_;
        challengeWindow = challengeWindowSeconds_;
        challengeBond = challengeBond_;
        lateCancelPenaltyBps = lateCancelPenaltyBps_;
        noAttestBuffer = noAttestBufferSeconds_;
        disputeTimeout = disputeTimeoutSeconds_;
        emit OwnershipTransferred(address(0), msg.sender);
    }

    // ------------------------------------------------------------------ owner

    function setOracle(address oracle_) external onlyOwner {
        require(oracle_ != address(0), "BAD_ADDR");
        oracle = oracle_;
        emit OracleSet(oracle_);
    }

    function setTreasury(address treasury_) external onlyOwner {
        require(treasury_ != address(0), "BAD_ADDR");
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    function setFeeBps(uint16 feeBps_) external onlyOwner {
        require(feeBps_ <= MAX_FEE_BPS, "FEE_TOO_HIGH");
        feeBps = feeBps_;
        emit ParameterSet("feeBps", feeBps_);
    }

    function setChallengeWindow(uint48 seconds_) external onlyOwner {
        challengeWindow = seconds_;
        emit ParameterSet("challengeWindow", seconds_);
    }

    function setChallengeBond(uint256 bond_) external onlyOwner {
        require(bond_ > 0, "ZERO_BOND");
        challengeBond = bond_;
        emit ParameterSet("challengeBond", bond_);
    }

    function setLateCancelPenaltyBps(uint16 penaltyBps_) external onlyOwner {
        require(penaltyBps_ <= BPS, "PENALTY_TOO_HIGH");
        lateCancelPenaltyBps = penaltyBps_;
        emit ParameterSet("lateCancelPenaltyBps", penaltyBps_);
    }

    function setNoAttestBuffer(uint48 seconds_) external onlyOwner {
        noAttestBuffer = seconds_;
        emit ParameterSet("noAttestBuffer", seconds_);
    }

    function setDisputeTimeout(uint48 seconds_) external onlyOwner {
        disputeTimeout = seconds_;
        emit ParameterSet("disputeTimeout", seconds_);
    }

    function transferOwnership(address newOwner) external onlyOwner {
        require(newOwner != address(0), "BAD_ADDR");
        emit OwnershipTransferred(owner, newOwner);
        owner = newOwner;
    }

    // ------------------------------------------------------------------ views

    function getSlot(uint256 slotId) external view returns (Slot memory) {
        return slots[slotId];
    }

    /// @notice A booking id that does not exist returns all zeros (status None); it never reverts.
    function getBooking(uint256 bookingId) external view returns (Booking memory) {
        return bookings[bookingId];
    }

    function getRequest(uint256 requestId) external view returns (Request memory) {
        return requests[requestId];
    }

    // ------------------------------------------------------------------ hosts

    function setHostBasePrice(uint256 priceWei) external {
        require(priceWei > 0, "BAD_PRICE");
        hostBasePrice[msg.sender] = priceWei;
        emit HostBasePriceSet(msg.sender, priceWei);
    }

    /// @notice The price is the caller's base price at this moment (a later change does not reprice the slot).
    function createSlot(
        uint48 startTime,
        uint32 durationMins,
        uint32 graceMins,
        uint32 minOverlapMins,
        uint32 cancelCutoffMins
    ) external returns (uint256 slotId) {
        uint256 price = hostBasePrice[msg.sender];
        require(price > 0, "NO_BASE_PRICE");
        slotId = _createSlot(msg.sender, price, startTime, durationMins, graceMins, minOverlapMins, cancelCutoffMins, SLOT_OPEN);
        emit SessionSlotCreated(slotId, msg.sender, startTime, durationMins, price);
    }

    function createSlots(SlotInput[] calldata inputs) external returns (uint256[] memory slotIds) {
        require(inputs.length > 0 && inputs.length <= MAX_BATCH, "BAD_BATCH_SIZE");
        uint256 price = hostBasePrice[msg.sender];
        require(price > 0, "NO_BASE_PRICE");
        slotIds = new uint256[](inputs.length);
        for (uint256 i = 0; i < inputs.length; i++) {
            SlotInput calldata s = inputs[i];
            slotIds[i] = _createSlot(
                msg.sender, price, s.startTime, s.durationMins, s.graceMins, s.minOverlapMins, s.cancelCutoffMins, SLOT_OPEN
            );
            emit SessionSlotCreated(slotIds[i], msg.sender, s.startTime, s.durationMins, price);
        }
    }

    function cancelSlot(uint256 slotId) external {
        Slot storage s = slots[slotId];
        require(s.host == msg.sender, "NOT_HOST");
        require(s.status == SLOT_OPEN, "NOT_OPEN");
        s.status = SLOT_CANCELLED;
        emit SessionSlotCancelled(slotId);
    }

    function _createSlot(
        address host,
        uint256 price,
        uint48 startTime,
        uint32 durationMins,
        uint32 graceMins,
        uint32 minOverlapMins,
        uint32 cancelCutoffMins,
        uint8 status
    ) internal returns (uint256 slotId) {
        require(price > 0, "BAD_PRICE");
        require(startTime > block.timestamp + MIN_LEAD_SECONDS, "START_TOO_SOON");
        require(durationMins > 0 && durationMins <= MAX_DURATION_MINS, "BAD_DURATION");
        require(minOverlapMins <= durationMins, "BAD_OVERLAP");
        require(cancelCutoffMins <= MAX_CANCEL_CUTOFF_MINS, "BAD_CUTOFF");
        slotId = nextSlotId++;
        slots[slotId] = Slot({
            host: host,
            startTime: startTime,
            durationMins: durationMins,
            price: price,
            graceMins: graceMins,
            minOverlapMins: minOverlapMins,
            cancelCutoffMins: cancelCutoffMins,
            status: status
        });
    }

    // ------------------------------------------------------------------ guests

    function book(uint256 slotId) external payable nonReentrant returns (uint256 bookingId) {
        Slot storage s = slots[slotId];
        require(s.host != address(0) && s.status == SLOT_OPEN, "NOT_AVAILABLE");
        require(s.startTime > block.timestamp + MIN_LEAD_SECONDS, "TOO_LATE");
        require(slotToBooking[slotId] == 0, "ALREADY_BOOKED");
        require(msg.value == s.price, "WRONG_AMOUNT");
        s.status = SLOT_BOOKED;
        bookingId = _newBooking(slotId, msg.sender, msg.value);
    }

    function _newBooking(uint256 slotId, address guest, uint256 amount) internal returns (uint256 bookingId) {
        bookingId = nextBookingId++;
        slotToBooking[slotId] = bookingId;
        Booking storage b = bookings[bookingId];
        b.slotId = slotId;
        b.guest = guest;
        b.amount = amount;
        b.status = BOOKING_BOOKED;
        totalHeld += amount;
        emit SessionBooked(bookingId, slotId, guest, amount);
    }

    // ------------------------------------------------------------------ requests

    /// @notice A guest's offer for a session inside [windowStart, windowEnd], held until accepted,
    ///         cancelled or expired. A targeted host's base price is the floor of the offer.
    function createRequest(address hostTarget, uint48 windowStart, uint48 windowEnd, uint32 durationMins, uint48 expiry)
        external
        payable
        nonReentrant
        returns (uint256 requestId)
    {
        require(msg.value > 0, "BAD_AMOUNT");
        require(durationMins > 0 && durationMins <= MAX_DURATION_MINS, "BAD_DURATION");
        require(windowStart > block.timestamp + MIN_LEAD_SECONDS, "START_TOO_SOON");
        require(uint256(windowEnd) >= uint256(windowStart) + uint256(durationMins) * 60, "BAD_WINDOW");
        require(expiry > block.timestamp, "EXPIRED");
        require(uint256(expiry) <= uint256(windowEnd) - uint256(durationMins) * 60, "BAD_EXPIRY");
        if (hostTarget != address(0)) {
            require(msg.value >= hostBasePrice[hostTarget], "LOW_OFFER");
        }
        requestId = nextRequestId++;
        Request storage r = requests[requestId];
        r.hostTarget = hostTarget;
        r.guest = msg.sender;
        r.windowStart = windowStart;
        r.windowEnd = windowEnd;
        r.durationMins = durationMins;
        r.amount = msg.value;
        r.expiry = expiry;
        r.status = REQUEST_OPEN;
        totalHeld += msg.value;
        emit SessionRequestCreated(requestId, msg.sender, hostTarget, windowStart, windowEnd, durationMins, msg.value, expiry);
    }

    function cancelRequest(uint256 requestId) external nonReentrant {
        Request storage r = requests[requestId];
        require(r.guest == msg.sender, "NOT_GUEST");
        require(r.status == REQUEST_OPEN, "NOT_OPEN");
        r.status = REQUEST_CANCELLED;
        emit SessionRequestCancelled(requestId);
        _pay(r.guest, r.amount);
    }

    /// @notice The host picks the start inside the window: slot and booking are created in one call,
    ///         at the offered amount; the events are SessionBooked, then SessionRequestAccepted (no
    ///         SessionSlotCreated: the slot was never open).
    function acceptRequest(
        uint256 requestId,
        uint48 startTime,
        uint32 graceMins,
        uint32 minOverlapMins,
        uint32 cancelCutoffMins
    ) external nonReentrant returns (uint256 bookingId) {
        Request storage r = requests[requestId];
        require(r.status == REQUEST_OPEN, "NOT_OPEN");
        require(block.timestamp <= r.expiry, "EXPIRED");
        require(r.hostTarget == address(0) || r.hostTarget == msg.sender, "NOT_TARGET");
        require(msg.sender != r.guest, "SELF_ACCEPT");
        require(
            startTime >= r.windowStart && uint256(startTime) + uint256(r.durationMins) * 60 <= r.windowEnd, "OUTSIDE_WINDOW"
        );
        uint256 slotId =
            _createSlot(msg.sender, r.amount, startTime, r.durationMins, graceMins, minOverlapMins, cancelCutoffMins, SLOT_BOOKED);
        bookingId = _bookRequest(slotId, r);
        r.status = REQUEST_ACCEPTED;
        r.slotId = slotId;
        r.bookingId = bookingId;
        r.host = msg.sender;
        emit SessionRequestAccepted(requestId, msg.sender, slotId, bookingId, startTime);
    }

    function _bookRequest(uint256 slotId, Request storage r) internal returns (uint256 bookingId) {
        // The request's amount is already held: move it to the booking without counting it twice.
        totalHeld -= r.amount;
        bookingId = _newBooking(slotId, r.guest, r.amount);
    }

    // ------------------------------------------------------------------ cancellations

    /// @notice Free before start - cancelCutoff (the slot reopens); later, the guest pays
    ///         lateCancelPenaltyBps of the amount: the fee on it goes to the treasury, the rest to the host.
    function cancelBookingAsGuest(uint256 bookingId) external nonReentrant {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        require(b.guest == msg.sender, "NOT_GUEST");
        Slot storage s = slots[b.slotId];
        require(block.timestamp < s.startTime, "ALREADY_STARTED");
        uint256 amount = b.amount;
        uint256 penalty;
        uint256 fee;
        b.status = BOOKING_CANCELLED;
        if (block.timestamp < uint256(s.startTime) - uint256(s.cancelCutoffMins) * 60) {
            s.status = SLOT_OPEN;
            slotToBooking[b.slotId] = 0;
        } else {
            s.status = SLOT_CANCELLED;
            penalty = amount * lateCancelPenaltyBps / BPS;
            fee = penalty * feeBps / BPS;
        }
        uint256 refund = amount - penalty;
        uint256 hostPaid = penalty - fee;
        emit SessionBookingCancelled(bookingId, OUTCOME_CANCELLED_BY_GUEST, refund, penalty, hostPaid, fee);
        _pay(b.guest, refund);
        _pay(s.host, hostPaid);
        _pay(treasury, fee);
    }

    /// @notice The host cancels before the start: the guest gets everything back, the slot is cancelled.
    function cancelBookingAsHost(uint256 bookingId) external nonReentrant {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        Slot storage s = slots[b.slotId];
        require(s.host == msg.sender, "NOT_HOST");
        require(block.timestamp < s.startTime, "ALREADY_STARTED");
        b.status = BOOKING_CANCELLED;
        s.status = SLOT_CANCELLED;
        emit SessionBookingCancelled(bookingId, OUTCOME_CANCELLED_BY_HOST, b.amount, 0, 0, 0);
        _pay(b.guest, b.amount);
    }

    // ------------------------------------------------------------------ oracle

    function attest(uint256 bookingId, uint8 outcome, bytes32 metricsHash) external {
        require(msg.sender == oracle, "NOT_ORACLE");
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        require(outcome != OUTCOME_NONE, "BAD_OUTCOME");
        require(outcome >= OUTCOME_COMPLETED && outcome <= OUTCOME_NO_SHOW_GUEST, "BAD_ATTEST_OUTCOME");

        Slot storage s = slots[b.slotId];
        uint256 t = block.timestamp;
        uint256 start = s.startTime;
        uint256 duration = uint256(s.durationMins) * 60;
        uint256 graceEnd = start + uint256(s.graceMins) * 60;

        if (outcome == OUTCOME_COMPLETED) {
            require(t >= start + uint256(s.minOverlapMins) * 60, "OVERLAP_NOT_MET");
            require(t <= start + duration + COMPLETED_LATE_SECONDS, "TOO_LATE");
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

    // ------------------------------------------------------------------ disputes

    function challenge(uint256 bookingId) external payable nonReentrant {
        Booking storage b = bookings[bookingId];
        require(msg.sender == b.guest || msg.sender == slots[b.slotId].host, "NOT_PARTY");
        require(b.status == BOOKING_ATTESTED, "NOT_ATTESTED");
        require(block.timestamp < b.finalizableAt, "WINDOW_OVER");
        require(msg.value == challengeBond, "WRONG_BOND");
        b.status = BOOKING_DISPUTED;
        b.challenger = msg.sender;
        b.bondAmount = msg.value;
        b.disputedAt = uint48(block.timestamp);
        totalHeld += msg.value;
        emit Challenged(bookingId, msg.sender, msg.value);
    }

    /// @notice The owner rules: a ruling that differs from the oracle's returns the bond to the
    ///         challenger, one that upholds it sends the bond to the treasury.
    function resolveDispute(uint256 bookingId, uint8 finalOutcome) external onlyOwner nonReentrant {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_DISPUTED, "NOT_DISPUTED");
        require(finalOutcome >= OUTCOME_COMPLETED && finalOutcome <= OUTCOME_NO_SHOW_GUEST, "BAD_OUTCOME");
        _resolve(bookingId, b, finalOutcome, finalOutcome != b.oracleOutcome ? b.challenger : treasury);
    }

    /// @notice Nobody ruled in time: the oracle's outcome stands and the challenger gets the bond back.
    function finalizeDisputeByTimeout(uint256 bookingId) external nonReentrant {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_DISPUTED, "NOT_DISPUTED");
        require(block.timestamp >= uint256(b.disputedAt) + disputeTimeout, "TOO_EARLY");
        _resolve(bookingId, b, b.oracleOutcome, b.challenger);
    }

    function _resolve(uint256 bookingId, Booking storage b, uint8 finalOutcome, address bondTo) internal {
        b.status = BOOKING_RESOLVED;
        b.finalizableAt = uint48(block.timestamp);
        resolvedOutcome[bookingId] = finalOutcome;
        uint256 bond = b.bondAmount;
        emit Resolved(bookingId, finalOutcome);
        _pay(bondTo, bond);
    }

    // ------------------------------------------------------------------ settlement

    /// @notice Anyone, from finalizableAt: Completed and NoShowGuest pay the host the amount less the
    ///         fee (fee to the treasury); NoShowHost refunds the guest in full.
    function finalize(uint256 bookingId) external nonReentrant {
        Booking storage b = bookings[bookingId];
        require(b.status == BOOKING_ATTESTED || b.status == BOOKING_RESOLVED, "NOT_FINALIZABLE");
        require(block.timestamp >= b.finalizableAt, "TOO_EARLY");
        uint8 finalOutcome = b.status == BOOKING_RESOLVED ? resolvedOutcome[bookingId] : b.oracleOutcome;
        Slot storage s = slots[b.slotId];
        b.status = BOOKING_FINALIZED;
        s.status = SLOT_SETTLED;
        uint256 hostPaid;
        uint256 guestRefund;
        uint256 fee;
        if (finalOutcome == OUTCOME_NO_SHOW_HOST) {
            guestRefund = b.amount;
        } else {
            fee = b.amount * feeBps / BPS;
            hostPaid = b.amount - fee;
        }
        emit Finalized(bookingId, finalOutcome, hostPaid, guestRefund, fee);
        _pay(s.host, hostPaid);
        _pay(b.guest, guestRefund);
        _pay(treasury, fee);
    }

    /// @notice Nobody attested: from start + duration + noAttestBuffer either party gets the guest refunded.
    function claimIfUnattested(uint256 bookingId) external nonReentrant {
        Booking storage b = bookings[bookingId];
        Slot storage s = slots[b.slotId];
        require(b.guest != address(0) && (msg.sender == b.guest || msg.sender == s.host), "NOT_PARTY");
        require(b.status == BOOKING_BOOKED, "NOT_BOOKED");
        require(
            block.timestamp >= uint256(s.startTime) + uint256(s.durationMins) * 60 + uint256(noAttestBuffer), "TOO_EARLY"
        );
        b.status = BOOKING_FINALIZED;
        s.status = SLOT_CANCELLED;
        emit UnattestedRefunded(bookingId, b.amount);
        _pay(b.guest, b.amount);
    }

    // ------------------------------------------------------------------ money out

    function withdrawOwed() external {
        _withdrawOwed(payable(msg.sender));
    }

    function withdrawOwed(address to) external {
        require(to != address(0), "BAD_ADDR");
        _withdrawOwed(payable(to));
    }

    /// @notice Sends the treasury only what nobody is owed: balance above totalHeld (e.g. forced-in ETH).
    function sweep() external nonReentrant {
        uint256 excess = address(this).balance - totalHeld;
        require(excess > 0, "NOTHING_TO_SWEEP");
        emit Swept(treasury, excess);
        (bool ok,) = treasury.call{value: excess}("");
        require(ok, "TRANSFER_FAILED");
    }

    function _withdrawOwed(address payable to) internal nonReentrant {
        uint256 amount = owed[msg.sender];
        require(amount > 0, "NOTHING_OWED");
        owed[msg.sender] = 0;
        totalHeld -= amount;
        emit OwedWithdrawn(msg.sender, to, amount);
        (bool ok,) = to.call{value: amount}("");
        require(ok, "TRANSFER_FAILED");
    }

    /// @dev Pays out of totalHeld; a recipient that refuses the transfer is owed the amount instead.
    function _pay(address to, uint256 amount) internal {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (ok) {
            totalHeld -= amount;
        } else {
            owed[to] += amount;
            emit PayoutOwed(to, amount);
        }
    }
}
