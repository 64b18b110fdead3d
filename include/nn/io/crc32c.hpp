#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord files.
#include <cstddef>
#include <cstdint>

namespace nn::io {

// CRC-32C of n bytes, continuing from `crc` (the result of a previous call; 0 to start), so
// crc32c(b, nb, crc32c(a, na)) == crc32c(a followed by b). crc32c("123456789", 9) == 0xE3069283.
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0);

// TFRecord's masked CRC: rotated and offset so that a CRC computed over data that itself holds
// CRCs stays well distributed. ((crc >> 15) | (crc << 17)) + 0xa282ead8.
uint32_t masked_crc32c(const void* data, size_t n);

}  // namespace nn::io
