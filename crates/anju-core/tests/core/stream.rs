//! Reading block by block gives exactly what reading the whole file gives —
//! figures, line numbers, errors — whatever the block size; and figures held
//! in segments group exactly as one list does, in any order.

use anju_core::input::{self, InputError, Observation, ValueStream};
use anju_core::plan;
use anju_core::values::ValueSet;
use anju_synth::synth::{self, Spec};

fn stream(
    plan: &plan::Plan,
    bytes: &[u8],
    block: usize,
    threads: usize,
) -> (Vec<Vec<Observation>>, Vec<InputError>) {
    let mut s = ValueStream::new(plan, "v.csv", 0);
    let mut segs = Vec::new();
    let mut errors = Vec::new();
    for chunk in bytes.chunks(block) {
        s.feed(chunk, threads, &mut segs, &mut errors).unwrap();
    }
    s.finish(&mut segs, &mut errors).unwrap();
    (segs, errors)
}

fn flat(segs: &[Vec<Observation>]) -> Vec<Observation> {
    segs.iter().flatten().copied().collect()
}

#[test]
fn blocks_of_any_size_read_like_the_whole_file() {
    let base = anju_core::builtin_plan().unwrap();
    let spec = Spec::new(5, 3, &base);
    let plan = plan::load("s.toml", &synth::plan_toml(&spec, &base)).unwrap();
    let mut csv = Vec::new();
    synth::write_values(&spec, &base, &mut csv).unwrap();
    let whole = input::read_values(&plan, "v.csv", 0, &csv, 1, None).unwrap();
    assert_eq!(whole.len(), 5 * 15 * 61);
    for block in [1, 7, 100, 4096, 1 << 20] {
        for threads in [1, 3] {
            let (segs, errors) = stream(&plan, &csv, block, threads);
            assert!(errors.is_empty());
            assert_eq!(flat(&segs), whole, "block {block}, {threads} threads");
        }
    }
    // With a BOM and CRLF line ends, and no final line end.
    let mut crlf = b"\xEF\xBB\xBF".to_vec();
    crlf.extend_from_slice(
        String::from_utf8(csv.clone())
            .unwrap()
            .replace('\n', "\r\n")
            .trim_end()
            .as_bytes(),
    );
    let (segs, errors) = stream(&plan, &crlf, 33, 2);
    assert!(errors.is_empty());
    assert_eq!(flat(&segs), whole);
}

#[test]
fn errors_carry_the_same_lines_in_blocks() {
    let plan = anju_core::builtin_plan().unwrap();
    let mut text = String::from("indicator,org_unit,period,value,numerator,denominator\n");
    for i in 0..300 {
        let bad = i % 97 == 5;
        text.push_str(&format!(
            "8,硖石街道,{}-{:02},{},,\n",
            2000 + i / 12,
            i % 12 + 1,
            if bad { "x" } else { "1" }
        ));
    }
    let whole = input::read_values(&plan, "v.csv", 0, text.as_bytes(), 1, None)
        .unwrap_err()
        .0;
    assert_eq!(whole.len(), 4);
    for block in [5, 64, 1000] {
        let (_, errors) = stream(&plan, text.as_bytes(), block, 2);
        assert_eq!(errors, whole, "block {block}");
    }
    // Text the stream cannot take is said, not misread.
    let mut s = ValueStream::new(&plan, "q.csv", 0);
    let mut segs = Vec::new();
    let mut errors = Vec::new();
    let quoted =
        "indicator,org_unit,period,value,numerator,denominator\n8,硖石街道,2024-06,\"1,234\",,\n";
    assert_eq!(
        s.feed(quoted.as_bytes(), 1, &mut segs, &mut errors),
        Err(input::NeedWhole::Quotes)
    );
    let plain = quoted.replace('"', "").replace("1,234", "1234");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&plain);
    let mut s = ValueStream::new(&plan, "g.csv", 0);
    assert_eq!(
        s.feed(&gbk, 1, &mut segs, &mut errors),
        Err(input::NeedWhole::Encoding)
    );
}

#[test]
fn segments_group_like_one_list_in_any_order() {
    let base = anju_core::builtin_plan().unwrap();
    let spec = Spec::new(4, 9, &base);
    let plan = plan::load("s.toml", &synth::plan_toml(&spec, &base)).unwrap();
    let mut csv = Vec::new();
    synth::write_values(&spec, &base, &mut csv).unwrap();
    let whole = input::read_values(&plan, "v.csv", 0, &csv, 1, None).unwrap();
    let one = ValueSet::build(&plan, whole.clone(), &["v.csv".into()]).unwrap();
    // Cut into pieces at odd places (series cut in the middle), then also reversed.
    let mut pieces: Vec<Vec<Observation>> = whole.chunks(37).map(<[Observation]>::to_vec).collect();
    for order in 0..2 {
        if order == 1 {
            pieces.reverse();
        }
        let set = ValueSet::from_segments(&plan, pieces.clone(), &["v.csv".into()]).unwrap();
        assert_eq!(set.len(), one.len());
        for (id, _) in plan.orgs.iter() {
            for ix in 0..plan.indicators.len() {
                assert_eq!(set.series(ix, id), one.series(ix, id), "order {order}");
            }
        }
    }
    // A period twice, in two segments, is still found.
    let mut twice = pieces.clone();
    twice.push(vec![whole[10]]);
    let err = ValueSet::from_segments(&plan, twice, &["v.csv".into()]).unwrap_err();
    assert_eq!(err.0.len(), 1);
    assert!(err.0[0].message.contains("重复"));
}
