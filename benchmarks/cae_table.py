"""The architecture table of source report 4, on CIFAR-10, with the source's protocol.

    .venv/bin/python benchmarks/cae_table.py                       # full: CIFAR-10, 15 epochs
    .venv/bin/python benchmarks/cae_table.py --quick               # 3,000 images, 1 epoch

Rows finished are kept in --state (JSON), so an interrupted run resumes where it stopped.
"""

import argparse
import json
import time
from pathlib import Path

from aeutils.studies import cae_architectures as S


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="npz:../shared/data/cifar10.npz")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--limit", type=int, default=0, help="at most this many images (0: all)")
    ap.add_argument("--architectures", default="all")
    ap.add_argument("--state", default="benchmarks/results/cae_table.json")
    ap.add_argument("--quick", action="store_true", help="3,000 images, 1 epoch, own state file")
    args = ap.parse_args()
    if args.quick:
        args.limit, args.epochs = 3000, 1
        args.state = args.state.replace(".json", "_quick.json")
    names = S.architecture_names(args.architectures)
    state_path = Path(args.state)
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    key = f"{args.dataset}|{args.epochs}|{args.limit}"
    done = state.setdefault(key, {})
    t0 = time.perf_counter()
    data = S.prepare(args.dataset, limit=args.limit or None)
    print(f"data: {data.source}  (loaded in {time.perf_counter() - t0:.0f} s)", flush=True)
    for name in names:
        if name in done:
            continue
        row = S.run_architecture(name, data, epochs=args.epochs, verbose=2)
        done[name] = S.table_rows([row])[0]
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state_path.write_text(json.dumps(state, indent=2))
        print(f"finished {name} in {row['train_s']:.0f} s", flush=True)
    print_table([done[n] for n in names if n in done], args)


def print_table(rows, args):
    print(f"\nCIFAR-10 architecture table: {args.dataset}, {args.epochs} epochs, limit {args.limit or 'none'}")
    head = (
        "architecture",
        "params",
        "latent f/m",
        "test MSE [-1,1]",
        "source",
        "ours/source",
        "PSNR dB",
        "SSIM",
        "PCA k",
        "PCA PSNR",
        "train s",
    )
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for r in rows:
        ratio = f"{r['ratio_to_source']:.2f}" if r["ratio_to_source"] else "-"
        src = f"{r['source_mse']:.6f}" if r["source_mse"] else "-"
        print(
            " | ".join(
                [
                    r["architecture"],
                    f"{r['params']:,}",
                    f"{r['latent_formula'] or '-'}/{r['latent_model']}",
                    f"{r['test_mse_pm1']:.6f}",
                    src,
                    ratio,
                    f"{r['psnr_db']:.2f}",
                    f"{r['ssim']:.4f}",
                    str(r["pca_k"]),
                    f"{r['pca_psnr_db']:.2f}",
                    f"{r['train_s']:.0f}",
                ]
            )
        )


if __name__ == "__main__":
    main()
