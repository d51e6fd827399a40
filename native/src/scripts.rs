//! Letters per script (streams/core/langid/scripts.py `count_scripts` is the reference), from
//! the reference's own table of each code point's script, handed over once.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

#[pyclass(frozen, module = "wirestream_native")]
pub struct ScriptCounter {
    table: Vec<u8>,           // per code point: 0, or 1 + the script's index
    names: Vec<Py<PyString>>, // the scripts, in the table's order
}

#[pymethods]
impl ScriptCounter {
    #[new]
    fn new(table: Vec<u8>, names: Vec<Py<PyString>>) -> PyResult<Self> {
        if table.len() != 0x110000 || table.iter().any(|&s| usize::from(s) > names.len()) {
            return Err(PyValueError::new_err(
                "a script table has one entry per code point",
            ));
        }
        Ok(ScriptCounter { table, names })
    }

    /// `{script: letters}` of the text, for the scripts it has letters of.
    fn count<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyDict>> {
        let mut counts = vec![0usize; self.names.len() + 1];
        for c in text.chars() {
            counts[usize::from(self.table[c as usize])] += 1;
        }
        let out = PyDict::new(py);
        for (i, &n) in counts.iter().enumerate().skip(1) {
            if n > 0 {
                out.set_item(self.names[i - 1].bind(py), n)?;
            }
        }
        Ok(out)
    }
}
