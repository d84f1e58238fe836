// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.20;

/// @title Erc1271Wallet (test contract wallet for the Session Voice test suite)
/// @notice isValidSignature returns the ERC-1271 magic value 0x1626ba7e iff `signature` is a
///         65-byte r || s || v ECDSA signature of `hash` by `owner`, with v in {27, 28} and a
///         low s (s <= secp256k1n / 2). Any other input returns 0xffffffff; it never reverts.
contract Erc1271Wallet {
    bytes4 internal constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 internal constant INVALID = 0xffffffff;
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    address public immutable owner;

    constructor(address owner_) {
        owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return INVALID;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) return INVALID;
        if (uint256(s) > HALF_N) return INVALID;
        address signer = ecrecover(hash, v, r, s);
        if (signer == address(0) || signer != owner) return INVALID;
        return MAGIC_VALUE;
    }
}
