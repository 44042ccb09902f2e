"""Write a notebook from a compact cell list (a development aid; notebooks are committed as .ipynb).

Usage from Python:
    from tools.nbbuild import write_notebook
    write_notebook("notebooks/x.ipynb", cells, title=..., smoke={...}, key_params=[...])
where ``cells`` is a list of ("md" | "params" | "code", source) pairs.
"""

import nbformat


def write_notebook(path, cells, *, title, smoke, key_params):
    nb = nbformat.v4.new_notebook()
    for kind, src in cells:
        src = src.strip("\n")
        if kind == "md":
            nb.cells.append(nbformat.v4.new_markdown_cell(src))
        else:
            cell = nbformat.v4.new_code_cell(src)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["aeutils"] = {"title": title, "smoke": smoke, "key_params": key_params}
    for i, c in enumerate(nb.cells):
        c["id"] = f"cell-{i}"
    nbformat.validate(nb)
    nbformat.write(nb, path)
