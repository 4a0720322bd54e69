/* Saving and loading a network: a versioned file that round-trips bit-exactly.
 *
 * Format, version 1. A text header of lines ending in "\n", fields separated by
 * one space, numbers in C locale (floats written with %.9g, which reads back to
 * the same float):
 *
 *   actlab-model 1                        magic and format version
 *   inputs <n>                            features in (≥ 1)
 *   seed <u64>                            the seed the network was created with
 *   layers <count>                        1 .. AL_NET_MAX_LAYERS, then one line each:
 *   dense <units> <init> <a> <b>          init: auto|uniform|normal|xavier|he|lecun,
 *   maxout <units> <pieces> <init> <a> <b>   a, b as in al_init
 *   act <name> <per_unit> <k> <p1> <v1> … <pk> <vk>
 *                                         activation name, per_unit 0|1, then its k
 *                                         parameters as name value pairs (every one)
 *   params <count>                        floats in the parameter block
 *
 * followed by the parameter block exactly as al_net holds it (count float32,
 * little-endian, layer by layer: W row-major then b for dense and maxout, alpha
 * for prelu), then the CRC-32 (zlib's crc32, little-endian uint32) of every byte
 * before it, and nothing after. Names are [A-Za-z_][A-Za-z0-9_]*.
 *
 * A reader refuses a newer version with "<file>: format version 2 is newer than
 * this actlab (1)"; every other problem (magic, unknown activation or init, bad
 * counts, parameter count not matching the layers, checksum, truncation, trailing
 * bytes) is AL_ERR_FORMAT with a message that names the file. */
#ifndef AL_MODEL_H
#define AL_MODEL_H

#include "al_err.h"
#include "al_net.h"

#define AL_MODEL_VERSION 1

/* Finds an activation by name for the loader (e.g. Lua-defined ones first, then
 * the core table); NULL when unknown. */
typedef const al_act *(*al_model_resolver)(void *ud, const char *name);

/* Writes net to path (created or truncated). AL_ERR_IO names the file. */
al_status al_model_save(const al_net *net, const char *path, al_err *err);

/* Reads a network from path into net (left empty on failure; release with
 * al_net_release). resolve (NULL: al_act_find) maps activation names. */
al_status al_model_load(al_net *net, const char *path, al_model_resolver resolve, void *ud,
                        al_err *err);

#endif
