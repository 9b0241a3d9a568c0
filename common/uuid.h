/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "macro.h"

#define UUID_STRING_MAX 37

/* Lowercase, with dashes: "6695eb01-f6a4-8304-79aa-97f2502e193f". */
char *uuid_format(const uint8_t uuid[16], char buf[UUID_STRING_MAX]);
/* Accepts the dashed form, or 32 hex digits without dashes. */
int uuid_parse(const char *s, uint8_t uuid[16]);
int uuid_generate(uint8_t uuid[16]);
bool uuid_is_null(const uint8_t uuid[16]);
