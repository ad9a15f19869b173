//! tally — a replicated vote tally, a Baton plugin written in Rust with only
//! `std` and its own binding of the C header (`abi.rs`). Build:
//!
//!     cargo build --release --offline   # target/release/libtally.so
//!
//! Transactions: `vote:<option>` (1-32 of a-z, 0-9, '_', '-'), optionally
//! followed by a space and a nonce of 1-16 digits to vote again within the
//! host's committed-transaction window. Payload: each transaction as a u32
//! little-endian length then its bytes (at most 1,000). Query: the tally as
//! JSON. Typed functions (ABI 1.3): `votes(option: str) -> u64`,
//! `total() -> u64`, `winner() -> str`.

mod abi;

use abi::{Bytes, Host, Writer};
use std::ffi::{c_void, CStr};
use std::os::raw::c_char;

const TXS_MAX: usize = 1_000;
const PAYLOAD_BYTES_MAX: usize = 1 << 20;
const HASH_KEY: &[u8] = b"m/hash";
const TOTAL_KEY: &[u8] = b"m/total";
const HEIGHT_KEY: &[u8] = b"m/height";
const COUNT_PREFIX: &[u8] = b"t/";

/// What `create` hands back as the instance.
struct Tally {
    host: *const Host,
}

impl Tally {
    fn host(&self) -> &Host {
        // The host table outlives the instance (header: "host outlives the instance").
        unsafe { &*self.host }
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let mut out: Vec<u8> = Vec::new();
        let writer = vec_writer(&mut out);
        let status = unsafe { (self.host().kv_get)(self.host, Bytes::of(key), &writer) };
        match status {
            abi::OK => Ok(Some(out)),
            abi::NOT_FOUND => Ok(None),
            other => Err(format!("kv_get answered {other}")),
        }
    }

    fn put(&self, key: &[u8], value: &[u8]) -> Result<(), String> {
        match unsafe { (self.host().kv_put)(self.host, Bytes::of(key), Bytes::of(value)) } {
            abi::OK => Ok(()),
            other => Err(format!("kv_put answered {other}")),
        }
    }

    fn counter(&self, key: &[u8]) -> Result<u64, String> {
        Ok(match self.get(key)? {
            Some(bytes) if bytes.len() == 8 => u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8])),
            Some(_) => return Err("a stored counter is not 8 bytes".into()),
            None => 0,
        })
    }

    /// Every (option, votes), in ascending option order (the host iterates bytewise).
    fn counts(&self) -> Result<Vec<(String, u64)>, String> {
        unsafe extern "C" fn visit(ctx: *mut c_void, key: Bytes, value: Bytes) -> i32 {
            let list = &mut *(ctx as *mut Vec<(String, u64)>);
            let name = String::from_utf8_lossy(&key.as_slice()[COUNT_PREFIX.len()..]).into_owned();
            let count = value.as_slice().try_into().map(u64::from_le_bytes).unwrap_or(0);
            list.push((name, count));
            0
        }
        let mut list: Vec<(String, u64)> = Vec::new();
        let status = unsafe {
            (self.host().kv_iterate)(self.host, Bytes::of(COUNT_PREFIX), Some(visit), &mut list as *mut _ as *mut c_void)
        };
        if status != abi::OK {
            return Err(format!("kv_iterate answered {status}"));
        }
        Ok(list)
    }
}

/// A writer that appends into a Vec the plugin owns (kv_get's value).
fn vec_writer(out: &mut Vec<u8>) -> Writer {
    unsafe extern "C" fn append(ctx: *mut c_void, data: *const u8, len: usize) -> abi::Status {
        let out = &mut *(ctx as *mut Vec<u8>);
        if len > 0 {
            out.extend_from_slice(std::slice::from_raw_parts(data, len));
        }
        abi::OK
    }
    Writer { struct_size: std::mem::size_of::<Writer>() as u32, reserved: 0, ctx: out as *mut Vec<u8> as *mut c_void, write: append }
}

/// The option a transaction votes for, or why it is not a vote.
fn parse(tx: &[u8]) -> Result<&[u8], &'static str> {
    let body = tx.strip_prefix(b"vote:").ok_or("expected vote:<option> [nonce]")?;
    let (option, nonce) = match body.iter().position(|&b| b == b' ') {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    if option.is_empty() || option.len() > 32 {
        return Err("an option is 1-32 characters");
    }
    if !option.iter().all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
        return Err("an option is made of a-z, 0-9, '_' and '-'");
    }
    if let Some(nonce) = nonce {
        if nonce.is_empty() || nonce.len() > 16 || !nonce.iter().all(u8::is_ascii_digit) {
            return Err("a nonce is 1-16 digits");
        }
    }
    Ok(option)
}

/// The transactions of a payload, each checked, or why it is malformed.
fn frames(payload: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut list = Vec::new();
    let mut at = 0;
    while at < payload.len() {
        let prefix: [u8; 4] = payload.get(at..at + 4).and_then(|p| p.try_into().ok()).ok_or("a length prefix is cut off")?;
        let len = u32::from_le_bytes(prefix) as usize;
        at += 4;
        let tx = payload.get(at..at + len).ok_or("a transaction runs past the payload")?;
        parse(tx).map_err(|why| format!("transaction {}: {why}", list.len() + 1))?;
        list.push(tx);
        at += len;
        if list.len() > TXS_MAX {
            return Err(format!("more than {TXS_MAX} transactions"));
        }
    }
    Ok(list)
}

unsafe fn say(writer: *const Writer, text: &str) {
    abi::write(writer, text.as_bytes());
}

unsafe fn tally<'a>(instance: *mut c_void) -> &'a Tally {
    &*(instance as *const Tally)
}

// ---- the ABI calls ----

unsafe extern "C" fn create(
    _plugin: *const abi::Plugin, host: *const Host, config: Bytes, error: *const Writer, out: *mut *mut c_void,
) -> abi::Status {
    if (*host).struct_size < abi::HOST_SIZE_1_0 {
        say(error, "host table smaller than ABI 1.0's");
        return abi::ERROR;
    }
    if config.len != 0 {
        say(error, "tally takes no configuration");
        return abi::ERROR;
    }
    *out = Box::into_raw(Box::new(Tally { host })) as *mut c_void;
    abi::OK
}

unsafe extern "C" fn destroy(instance: *mut c_void) {
    drop(Box::from_raw(instance as *mut Tally));
}

unsafe extern "C" fn check_tx(_instance: *mut c_void, tx: Bytes, reason: *const Writer) -> abi::Status {
    match parse(tx.as_slice()) {
        Ok(_) => abi::OK,
        Err(why) => {
            say(reason, why);
            abi::REJECT
        }
    }
}

unsafe extern "C" fn produce_block(
    _instance: *mut c_void, _context: *const abi::BlockContext, candidates: *const Bytes, count: usize,
    included: *mut u8, _token: u64, payload: *const Writer, error: *const Writer,
) -> abi::Status {
    let (mut bytes, mut taken) = (0usize, 0usize);
    for i in 0..count {
        let tx = (*candidates.add(i)).as_slice();
        if taken == TXS_MAX || bytes + 4 + tx.len() > PAYLOAD_BYTES_MAX {
            break;
        }
        if parse(tx).is_err() {
            continue;
        }
        if !abi::write(payload, &(tx.len() as u32).to_le_bytes()) || !abi::write(payload, tx) {
            say(error, "the host refused the payload");
            return abi::ERROR;
        }
        *included.add(i) = 1;
        bytes += 4 + tx.len();
        taken += 1;
    }
    abi::OK
}

unsafe extern "C" fn validate_block(
    _instance: *mut c_void, _context: *const abi::BlockContext, payload: Bytes, _token: u64, reason: *const Writer,
) -> abi::Status {
    match frames(payload.as_slice()) {
        Ok(_) => abi::OK,
        Err(why) => {
            say(reason, &why);
            abi::REJECT
        }
    }
}

unsafe extern "C" fn commit_block(
    instance: *mut c_void, context: *const abi::BlockContext, payload: Bytes, state_hash: *mut u8, error: *const Writer,
) -> abi::Status {
    let t = tally(instance);
    let result = (|| -> Result<(), String> {
        let payload = payload.as_slice();
        let transactions = frames(payload)?;
        for tx in &transactions {
            let option = parse(tx).map_err(String::from)?;
            let key = [COUNT_PREFIX, option].concat();
            t.put(&key, &(t.counter(&key)? + 1).to_le_bytes())?;
        }
        let total = t.counter(TOTAL_KEY)? + transactions.len() as u64;
        t.put(TOTAL_KEY, &total.to_le_bytes())?;
        // h_n = SHA-256(h_{n-1} || payload): equal hashes, equal histories.
        let previous = t.get(HASH_KEY)?.unwrap_or_else(|| vec![0; 32]);
        let chained = [previous.as_slice(), payload].concat();
        ((*t.host).sha256)(t.host, Bytes::of(&chained), state_hash);
        t.put(HASH_KEY, std::slice::from_raw_parts(state_hash, 32))?;
        t.put(HEIGHT_KEY, &(*context).height.to_le_bytes())
    })();
    match result {
        Ok(()) => abi::OK,
        Err(why) => {
            say(error, &why);
            abi::ERROR
        }
    }
}

unsafe extern "C" fn query(instance: *mut c_void, _request: Bytes, response: *const Writer, error: *const Writer) -> abi::Status {
    let t = tally(instance);
    let answer = (|| -> Result<String, String> {
        let votes: Vec<String> = t.counts()?.iter().map(|(name, n)| format!("\"{name}\":{n}")).collect();
        let height = t.counter(HEIGHT_KEY)?;
        Ok(format!("{{\"height\":{height},\"total\":{},\"votes\":{{{}}}}}", t.counter(TOTAL_KEY)?, votes.join(",")))
    })();
    match answer {
        Ok(json) if abi::write(response, json.as_bytes()) => abi::OK,
        Ok(_) => {
            say(error, "response too large");
            abi::ERROR
        }
        Err(why) => {
            say(error, &why);
            abi::ERROR
        }
    }
}

/// ABI 1.2: the payload's framing is the answer's, so a valid payload is its own list.
unsafe extern "C" fn block_transactions(
    _instance: *mut c_void, payload: Bytes, transactions: *const Writer, error: *const Writer,
) -> abi::Status {
    match frames(payload.as_slice()) {
        Ok(_) if abi::write(transactions, payload.as_slice()) => abi::OK,
        Ok(_) => {
            say(error, "transaction list too large");
            abi::ERROR
        }
        Err(why) => {
            say(error, &why);
            abi::ERROR
        }
    }
}

// ---- typed functions (ABI 1.3): plain exported functions, called through libffi ----

// # Safety (all three): called only by the host, through libffi, with the
// instance `create` made, the host table, and arguments as the declared
// signature says (a str is NUL-terminated UTF-8; the writer is the host's).

/// `votes(option: str) -> u64`: the option's committed votes (0 if none).
///
/// # Safety
/// See above: the host's arguments only.
#[no_mangle]
pub unsafe extern "C" fn tally_votes(instance: *mut c_void, _host: *const Host, option: *const c_char) -> u64 {
    let option = CStr::from_ptr(option).to_bytes();
    tally(instance).counter(&[COUNT_PREFIX, option].concat()).unwrap_or(0)
}

/// `total() -> u64`: every vote committed.
///
/// # Safety
/// The host's arguments only.
#[no_mangle]
pub unsafe extern "C" fn tally_total(instance: *mut c_void, _host: *const Host) -> u64 {
    tally(instance).counter(TOTAL_KEY).unwrap_or(0)
}

/// `winner() -> str`: the option with the most votes (ties: the first in
/// order), or no result before the first vote.
///
/// # Safety
/// The host's arguments only.
#[no_mangle]
pub unsafe extern "C" fn tally_winner(instance: *mut c_void, _host: *const Host, out: *const Writer) -> abi::Status {
    match tally(instance).counts() {
        Err(why) => {
            say(out, &why);
            abi::ERROR
        }
        Ok(counts) => match counts.iter().fold(None::<&(String, u64)>, |best, c| match best {
            Some(b) if b.1 >= c.1 => Some(b),
            _ => Some(c),
        }) {
            None => abi::NOT_FOUND,
            Some((name, _)) => {
                say(out, name);
                abi::OK
            }
        },
    }
}

/// A declaration from NUL-terminated byte literals (they live for the program).
const fn declare(name: &'static [u8], symbol: &'static [u8], signature: &'static [u8], description: &'static [u8]) -> abi::Function {
    abi::Function {
        struct_size: std::mem::size_of::<abi::Function>() as u32,
        reserved: 0,
        name: abi::c_str(name),
        symbol: abi::c_str(symbol),
        signature: abi::c_str(signature),
        description: abi::c_str(description),
    }
}

static VOTES: abi::Function = declare(b"votes\0", b"tally_votes\0", b"(option: str) -> u64\0", b"The committed votes for an option\0");
static TOTAL: abi::Function = declare(b"total\0", b"tally_total\0", b"() -> u64\0", b"Every vote committed\0");
static WINNER: abi::Function = declare(
    b"winner\0", b"tally_winner\0", b"() -> str\0", b"The option with the most votes, or null before the first\0",
);
static FUNCTIONS: abi::FunctionTable<3> = abi::FunctionTable([&VOTES, &TOTAL, &WINNER]);

static PLUGIN: abi::Plugin = abi::Plugin {
    struct_size: std::mem::size_of::<abi::Plugin>() as u32,
    abi_major: abi::ABI_MAJOR,
    abi_minor: abi::ABI_MINOR,
    reserved: 0,
    name: abi::c_str(b"tally\0"),
    version: abi::c_str(b"1.0.0\0"),
    description: abi::c_str(b"A replicated vote tally, in Rust (transactions: vote:<option>)\0"),
    plugin_data: std::ptr::null_mut(),
    create: Some(create),
    destroy: Some(destroy),
    check_tx: Some(check_tx),
    produce_block: Some(produce_block),
    validate_block: Some(validate_block),
    commit_block: Some(commit_block),
    query: Some(query),
    block_transactions: Some(block_transactions),
    functions: &FUNCTIONS.0 as *const [*const abi::Function; 3] as *const *const abi::Function,
    function_count: 3,
    migrate_state: None,
    flags: abi::SECOND_INSTANCE,
};

/// The one symbol a Baton plugin exports.
#[no_mangle]
pub extern "C" fn baton_plugin_entry() -> *const abi::Plugin {
    &PLUGIN
}
