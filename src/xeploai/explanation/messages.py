"""Every fixed user-facing string of the renderers and the command line, in Vietnamese and English.

Input: a message key, a language and format arguments. Output: the text in that language. Framework-specific
texts (labels, citations) come from the program; this catalogue only holds the words around them.
"""

from __future__ import annotations

import unicodedata

from xeploai.program.ir import Text

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"

MESSAGES: dict[str, Text] = {
    # headline and identity
    "outcome.not_classified": Text("Không xếp loại", "Not classified"),
    "outcome.insufficient_evidence": Text("Chưa đủ minh chứng để xếp loại", "Insufficient evidence to classify"),
    "outcome.awaiting_decision": Text("Chờ cấp có thẩm quyền quyết định", "Awaiting the competent level's decision"),
    "outcome.left_to_competent_level": Text(
        "Quy định không xếp được mức: cấp có thẩm quyền quyết định",
        "Not decided by the rules: the competent level decides",
    ),
    "outcome.awaiting_proposed": Text(
        "Chờ cấp có thẩm quyền quyết định (theo quy tắc: {level})",
        "Awaiting the competent level's decision (by the rules: {level})",
    ),
    "label.subject": Text("Đối tượng", "Subject"),
    "label.framework": Text("Khung tiêu chí", "Framework"),
    "label.period": Text("Kỳ đánh giá", "Evaluation period"),
    "label.selection": Text("Chọn khung tiêu chí", "Framework chosen"),
    "label.level_before_caps": Text("Mức trước khi áp dụng giới hạn", "Level before caps"),
    "framework.source": Text("tệp {file}", "file {file}"),
    "period.annual": Text("cả năm", "annual"),
    "period.quarterly": Text("theo quý", "quarterly"),
    "period.ad_hoc": Text("đột xuất", "ad hoc"),
    # sections
    "section.reasons": Text("Lý do", "Reasons"),
    "section.why_not": Text("Vì sao không đạt mức {level}", "Why not {level}"),
    "section.caps": Text("Giới hạn mức đã áp dụng", "Caps applied"),
    "section.notes": Text("Ghi chú", "Notes"),
    "section.values": Text("Điểm tính từ bảng theo dõi công việc", "Points computed from the work tables"),
    "values.given": Text("{value} (nhập sẵn, không tính từ bảng)", "{value} (given, not computed from a table)"),
    "values.unknown": Text("chưa tính được (thiếu bảng hoặc số liệu)", "not computed (no table or figures)"),
    "section.confidence": Text("Độ tin cậy của các quy tắc đã dùng", "Confidence of the rules used"),
    "section.missing": Text("Thiếu thông tin", "Missing evidence"),
    "section.unknown_rules": Text("Các điều kiện chưa xác định được", "Conditions that could not be decided"),
    # the fields of one finding
    "field.condition": Text("Điều kiện", "Condition"),
    "field.actual": Text("Thực tế", "Actual"),
    "field.required": Text("Yêu cầu", "Required"),
    "field.citation": Text("Căn cứ", "Basis"),
    "field.rule_at": Text("Quy tắc tại", "Rule at"),
    "field.confidence": Text("Độ tin cậy", "Confidence"),
    "field.reading": Text("Theo cách hiểu", "Under the reading"),
    "field.reading_value": Text(
        "{reading}: {option} ({default}; {cite}; độ tin cậy {confidence})",
        "{reading}: {option} ({default}; {cite}; confidence {confidence})",
    ),
    "reading.default": Text("cách hiểu mặc định", "the default reading"),
    "reading.chosen": Text("cách hiểu được chọn cho lần chạy này", "the reading chosen for this run"),
    "field.error": Text("Lỗi khi tính", "Evaluation error"),
    # confidence marks
    "confidence.confirmed": Text("đã xác nhận", "confirmed"),
    "confidence.secondary": Text("nguồn thứ cấp", "secondary source"),
    "confidence.assumed": Text("giả định", "assumed"),
    "confidence.all_confirmed": Text(
        "Mọi quy tắc đã dùng đều đã được xác nhận trong văn bản chính thức.",
        "Every rule used is confirmed in the official text.",
    ),
    "confidence.uses_secondary": Text(
        "Kết quả này dựa trên quy tắc trích từ nguồn thứ cấp: {rules}",
        "This result relies on rules quoted by a secondary source: {rules}",
    ),
    "confidence.uses_assumed": Text(
        "Kết quả này dựa trên quy tắc giả định: {rules}",
        "This result relies on assumed rules: {rules}",
    ),
    # three-valued truth
    "truth.met": Text("đạt", "met"),
    "truth.not_met": Text("không đạt", "not met"),
    "truth.unknown": Text("chưa rõ", "unknown"),
    # how the outcome was decided
    "decision.eligibility": Text("Thuộc trường hợp không xếp loại:", "Falls under a case that is not classified:"),
    "decision.trigger": Text(
        "Thuộc trường hợp không hoàn thành nhiệm vụ:",
        "Falls under a case of not completing tasks:",
    ),
    "decision.level": Text("Đáp ứng mọi yêu cầu của mức {level}.", "Meets every requirement of {level}."),
    "decision.below_lowest": Text(
        "Không đáp ứng đủ yêu cầu của mức {level}, nên xếp mức {lowest}.",
        "Does not meet every requirement of {level}, so the level is {lowest}.",
    ),
    "decision.gap": Text(
        "Không thuộc trường hợp {lowest} nào nhưng không đáp ứng đủ yêu cầu của mức {level}: quy định không xếp"
        " được vào mức nào, cấp có thẩm quyền xem xét, quyết định ({reading}: {option}, {source}).",
        "Falls under no case of {lowest} but does not meet every requirement of {level}: the rules place it at no"
        " level, and the competent level decides ({reading}: {option}, {source}).",
    ),
    "decision.undetermined": Text(
        "Thiếu minh chứng nên chưa xác định được kết quả.",
        "Evidence is missing, so the outcome cannot be determined.",
    ),
    "decision.capped": Text(
        "Bị giới hạn ở mức tối đa {level} (trước khi giới hạn: {before}).",
        "Capped at {level} (before caps: {before}).",
    ),
    "decision.failed_above": Text(
        "Không đạt mức cao hơn vì: {rules}",
        "Not a higher level because of: {rules}",
    ),
    "decision.quota": Text(
        "Bị hạ xuống mức {level} theo quy định về tỷ lệ:",
        "Lowered to {level} by a quota:",
    ),
    "link.computed": Text(
        "{field}: đọc kết quả {level} của {subject} ({kind}), khung {framework} ({source}), tính trong lần chạy này"
        " — {cite}",
        "{field}: reads the result {level} of {subject} ({kind}), framework {framework} ({source}), computed in this"
        " run — {cite}",
    ),
    "link.given": Text(
        "{field}: người này không có kết quả nào khác trong lần chạy; dùng giá trị nhập {value} ({where}) — {cite}",
        "{field}: this person holds no other result in this run; the value given as input is used: {value} ({where})"
        " — {cite}",
    ),
    "link.unknown": Text("{field}: chưa biết — {reason} — {cite}", "{field}: unknown — {reason} — {cite}"),
    "link.differs": Text(
        "  khác giá trị nhập trong bảng ({given}, {where}): dùng kết quả tính được",
        "  differs from the value given in the table ({given}, {where}): the computed result is used",
    ),
    "section.links": Text("Kết quả khác của cùng người đã đọc", "Other results of the same person read"),
    "decision.awaiting": Text(
        "Đạt mức {level} theo quy tắc nhưng nhóm vượt tỷ lệ: cấp có thẩm quyền xem xét, quyết định giữ mức {level}"
        " hay chuyển xuống {lower}. Số liệu và danh sách xếp thứ tự dưới đây chỉ để hỗ trợ quyết định:",
        "Reaches {level} by the rules, but the group is over its quota: the competent level decides whether it keeps"
        " {level} or is moved to {lower}. The arithmetic and the ranked list below are decision support only:",
    ),
    "decision.quota_suggestion": Text(
        "Thứ tự theo {keys} là gợi ý của công cụ, không phải quy định.",
        "The order by {keys} is the tool's suggestion, not the rule.",
    ),
    "decision.quota_decided": Text(
        "Theo quyết định {reference} của {by} ngày {on} ({source}).",
        "Following decision {reference} of {by} on {on} ({source}).",
    ),
    "decision.flags": Text(
        "Vượt tỷ lệ, cần cấp có thẩm quyền xem xét, quyết định: {flags}",
        "Quota exceeded, left to the competent committee's decision: {flags}",
    ),
    "why_not.quota": Text(
        "Đáp ứng các yêu cầu của mức này nhưng bị hạ theo quy định về tỷ lệ (xem Lý do).",
        "Meets the requirements of this level but was lowered by a quota (see Reasons).",
    ),
    "why_not.capped": Text(
        "Đáp ứng các yêu cầu của mức này nhưng bị giới hạn bởi: {caps}",
        "Meets the requirements of this level but is capped by: {caps}",
    ),
    "why_not.trigger": Text(
        "Thuộc trường hợp không hoàn thành nhiệm vụ (xem Lý do).",
        "Falls under a case of not completing tasks (see Reasons).",
    ),
    "cap.at_most": Text("tối đa {level}", "at most {level}"),
    "missing": Text("thiếu: {fields}", "missing: {fields}"),
    "possible": Text("Kết quả còn có thể: {outcomes}", "Possible outcomes: {outcomes}"),
    # values
    "value.missing": Text("(thiếu)", "(missing)"),
    "value.true": Text("có", "yes"),
    "value.false": Text("không", "no"),
    "value.none": Text("(không có)", "(none)"),
    "read.default": Text("mặc định", "default"),
    "read.missing": Text("thiếu", "missing"),
    "read.derived": Text("suy ra", "derived"),
    "read.judgement": Text("đánh giá của tập thể/cá nhân", "human judgement"),
    "required.holds": Text("{text} phải là “có”", "{text} must hold"),
    "required.not_holds": Text("{text} phải là “không”", "{text} must not hold"),
    "required.negated": Text("không {requirement}", "not {requirement}"),
    # command line
    "cli.check.ok": Text("ok: {files} tệp, không có vấn đề", "ok: {files} file{files_s}, no problems"),
    "cli.check.summary": Text(
        "{files} tệp: {errors} lỗi, {warnings} cảnh báo",
        "{files} file{files_s}: {errors} error{errors_s}, {warnings} warning{warnings_s}",
    ),
    "cli.check.declared": Text(
        "{file}: {declared} phát hiện được khung tiêu chí khai báo là ngoại lệ (không hiện; --format json liệt kê)",
        "{file}: {declared} finding{declared_s} the framework declares as exceptions (not shown; --format json lists"
        " them)",
    ),
    "cli.check.needs_deep": Text(
        "--strict, --seed và --budget chỉ dùng cùng --deep",
        "--strict, --seed and --budget apply to the analysis: add --deep",
    ),
    "cli.check.no_tests": Text(
        "{file}: không có tệp kiểm thử ({tests}): mọi quy tắc đều chưa được kiểm thử",
        "{file}: no tests file ({tests}): every rule is untested",
    ),
    "cli.check.deep_stdin": Text(
        "--deep phân tích các tệp khung tiêu chí (cùng tệp kiểm thử bên cạnh), không đọc từ đầu vào chuẩn (-)",
        "--deep analyses framework files (with the tests beside them), not standard input (-)",
    ),
    "cli.check.fidelity_head": Text(
        "{file} — độ tin cậy của các mục (đã xác nhận / nguồn thứ cấp / giả định)",
        "{file} — how its entries are sourced (confirmed / secondary / assumed)",
    ),
    "cli.check.fidelity_total": Text("tổng cộng", "total"),
    "cli.check.fidelity_unquoted": Text(
        "{count} mục chưa có đoạn trích điều khoản kèm địa chỉ nguồn:",
        "{count} entr{count_ies} without a quote of the clause and the source's address:",
    ),
    "cli.check.fidelity_all_quoted": Text(
        "mọi mục đều có đoạn trích điều khoản và địa chỉ nguồn", "every entry quotes its clause and source address"
    ),
    "cli.check.fidelity_stdin": Text(
        "--fidelity đọc các tệp khung tiêu chí, không đọc từ đầu vào chuẩn (-)",
        "--fidelity reads framework files, not standard input (-)",
    ),
    "fidelity.role.rule": Text("quy tắc", "rule"),
    "fidelity.role.cap": Text("giới hạn", "cap"),
    "fidelity.role.note": Text("ghi chú", "note"),
    "fidelity.role.exception": Text("ngoại lệ", "exception"),
    "fidelity.role.quota": Text("tỷ lệ", "quota"),
    "fidelity.role.rung": Text("bậc đề xuất", "rung"),
    "fidelity.role.gap": Text("chênh lệch", "gap"),
    "fidelity.role.ballot": Text("biểu quyết", "ballot"),
    "fidelity.role.quorum": Text("số người dự", "quorum"),
    "fidelity.role.reading": Text("cách hiểu", "reading"),
    "fidelity.place.quotas": Text("(tỷ lệ HTXS)", "(quotas)"),
    "fidelity.place.process": Text("(quy trình)", "(process)"),
    "cli.schema.whole_needs_evidence": Text(
        "--whole dùng cùng --evidence KHUNG LOẠI", "--whole applies to --evidence FRAMEWORK KIND"
    ),
    "cli.schema.one_schema": Text("chọn một trong --evidence và --document", "choose one of --evidence and --document"),
    "cli.test.fail": Text("KHÔNG ĐẠT", "FAIL"),
    "cli.test.summary": Text("{passed} đạt, {failed} không đạt", "{passed} passed, {failed} failed"),
    "cli.test.none": Text("không tìm thấy ca kiểm thử nào", "no test cases found"),
    "cli.cannot_read": Text("không đọc được {path}: {reason}", "cannot read {path}: {reason}"),
    "cli.no_kind": Text(
        "không rõ loại đối tượng: hãy dùng --kind hoặc khai báo 'kind' trong tệp minh chứng",
        "no subject kind: give --kind or set 'kind' in the evidence file",
    ),
    "cli.no_period": Text(
        "không rõ kỳ đánh giá: hãy dùng --period hoặc khai báo 'period' trong tệp minh chứng",
        "no evaluation period: give --period or set 'period' in the evidence file",
    ),
    "cli.bad_period": Text("kỳ đánh giá không hợp lệ '{spec}': {reason}", "invalid period '{spec}': {reason}"),
    "cli.unknown_kind": Text(
        "loại đối tượng '{kind}' không có trong khung tiêu chí (có: {kinds})",
        "subject kind '{kind}' is not declared by the framework (declared: {kinds})",
    ),
    "cli.schema_unavailable": Text(
        "bản xeploai này chưa xuất được lược đồ minh chứng",
        "this build of xeploai cannot export evidence schemas yet",
    ),
    "cli.interrupted": Text("đã dừng", "interrupted"),
    "cli.batch.progress": Text("Đang xếp loại", "Classifying"),
    "cli.batch.checking": Text("Đang kiểm tra dữ liệu", "Checking rows"),
    "cli.batch.writing": Text("Đang ghi kết quả", "Writing results"),
    "cli.batch.reasons": Text("Đang lập lý do", "Working out reasons"),
    "cli.batch.columnar_values": Text(
        "--engine columnar không tính các giá trị tính từ bảng công việc (values:) của {kinds}; dùng --engine"
        " interpreter hoặc auto",
        "--engine columnar does not compute the values computed from work tables (values:) of {kinds}; use --engine"
        " interpreter or auto",
    ),
    "cli.batch.needs_numpy": Text(
        "--engine columnar cần numpy: pip install 'xeploai[columnar]'",
        "--engine columnar needs numpy: pip install 'xeploai[columnar]'",
    ),
    "cli.bad_table_out": Text(
        "không ghi được bảng vào {path!r}: tên tệp phải có đuôi .csv, .xlsx hoặc .parquet",
        "cannot write a table to {path!r}: the file name must end in .csv, .xlsx or .parquet",
    ),
    "cli.needs_openpyxl": Text(
        "tệp .xlsx cần openpyxl: pip install 'xeploai[xlsx]'", ".xlsx files need openpyxl: pip install 'xeploai[xlsx]'"
    ),
    "cli.needs_pyarrow": Text(
        "tệp .parquet cần pyarrow: pip install 'xeploai[parquet]'",
        ".parquet files need pyarrow: pip install 'xeploai[parquet]'",
    ),
    "cli.readings.none": Text(
        "khung tiêu chí {file} không khai báo cách hiểu nào (process.readings)",
        "the framework {file} declares no readings (process.readings)",
    ),
    "cli.readings.unknown": Text(
        "không có cách hiểu {value!r}; các cách hiểu khung tiêu chí khai báo: {known}",
        "unknown reading {value!r}; the framework declares: {known}",
    ),
    "cli.readings.unknown_option": Text(
        "cách hiểu này không có phương án {value!r}; các phương án: {known}",
        "this reading has no option {value!r}; its options: {known}",
    ),
    "cli.batch.needs_pyarrow": Text(
        "--format parquet cần pyarrow: pip install 'xeploai[parquet]'",
        "--format parquet needs pyarrow: pip install 'xeploai[parquet]'",
    ),
    "cli.batch.reading": Text("Đang đọc {path}…", "Reading {path}…"),
    "cli.batch.summarising": Text(
        "Đang lập bảng tổng hợp và nhóm các dòng theo lý do…", "Summarising, and grouping rows by their reasons…"
    ),
    "cli.batch.order": Text(
        "Thứ tự xếp loại (suy ra từ quy tắc):", "Order of classification (derived from the rules):"
    ),
    "cli.batch.stratum": Text("  {index}. {items} — sau {after}", "  {index}. {items} — after {after}"),
    "cli.batch.stratum_first": Text("  {index}. {items}", "  {index}. {items}"),
    "cli.run.order": Text(
        "Thứ tự các khung tiêu chí (suy ra từ các trường liên kết kết quả):",
        "Order of the frameworks (derived from the linked fields):",
    ),
    "cli.run.framework": Text(
        "  {index}. {name} ({version}) — loại: {kinds}", "  {index}. {name} ({version}) — kinds: {kinds}"
    ),
    "cli.run.part": Text("== {name} ({version}) ==", "== {name} ({version}) =="),
    "cli.run.total": Text("Toàn bộ lần chạy:", "The whole run:"),
    "cli.run.interpreter": Text(
        "lần chạy dùng nhiều tệp khung tiêu chí: bộ thông dịch xếp loại cả lần chạy (bộ chạy theo cột chưa hỗ trợ"
        " kết quả liên kết)",
        "the run uses several framework files: the interpreter classifies the whole run (the columnar engine does not"
        " support linked results yet)",
    ),
    "cli.run.links": Text(
        "{count} trường liên kết không đọc được (xem giai-thich): {first}",
        "{count} linked fields could not be read (see the traces): {first}",
    ),
    "cli.run.differs": Text(
        "{count} kết quả đọc một kết quả khác với giá trị nhập trong bảng (cờ linked-result-differs)",
        "{count} results read a linked result that differs from the value given in the table (flag"
        " linked-result-differs)",
    ),
    "cli.run.unknown_kind": Text(
        "{file}: trường {field} đọc loại {kind}, không khung nào của lần chạy khai báo loại này",
        "{file}: the field {field} reads the kind {kind}, which no framework of the run declares",
    ),
    "cli.person.title": Text("Các kết quả của người {person}:", "The results of person {person}:"),
    "cli.person.result": Text(
        "  {subject} ({kind}) — {framework} ({version}): {level}",
        "  {subject} ({kind}) — {framework} ({version}): {level}",
    ),
    "cli.person.link": Text(
        "    {field} đọc kết quả {level} của {subject} ({kind}, {framework}), tính trong lần chạy này — {cite}",
        "    {field} reads the result {level} of {subject} ({kind}, {framework}), computed in this run — {cite}",
    ),
    "cli.person.given": Text(
        "    {field}: không có kết quả nào trong lần chạy; dùng giá trị nhập: {value} — {cite}",
        "    {field}: no result in this run; the value given as input is used: {value} — {cite}",
    ),
    "cli.person.none": Text(
        "không có kết quả nào của người '{person}' trong tập dữ liệu",
        "no result of person '{person}' in the population",
    ),
    "cli.what_if": Text(
        "{reason}; dùng --what-if để vẫn chạy với tệp này (kết quả ghi lại việc này)",
        "{reason}; give --what-if to run with this file all the same (the result records it)",
    ),
    "cli.batch.reconcile": Text(
        "{rows} dòng đối tượng (cá nhân và tập thể) = {classified} được xếp loại + {not_classified} không xếp loại"
        " + {insufficient} chưa đủ minh chứng + {awaiting} chờ cấp có thẩm quyền quyết định"
        " + {competent} quy định không xếp được mức + {rejected} bị loại",
        "{rows} subject rows (people and collectives) = {classified} classified + {not_classified} not classified"
        " + {insufficient} insufficient evidence + {awaiting} awaiting the competent level's decision"
        " + {competent} not decided by the rules + {rejected} rejected",
    ),
    "appeal.kind.original": Text("kết quả ban đầu", "original result"),
    "appeal.kind.appeal": Text("khiếu nại", "appeal"),
    "appeal.kind.evidence_added": Text("bổ sung minh chứng", "evidence added"),
    "appeal.kind.re_evaluated": Text("đánh giá lại", "re-evaluated"),
    "appeal.kind.decision": Text("quyết định", "decision"),
    "appeal.level": Text("mức", "level"),
    "cli.batch.column.people": Text("Cá nhân", "People"),
    "cli.batch.column.not_classified": Text("KXL", "Not cl."),
    "cli.batch.column.insufficient": Text("CĐCC", "Insuff."),
    "cli.batch.column.awaiting": Text("Chờ QĐ", "Awaiting"),
    "cli.batch.column.competent": Text("CTQ", "Comp."),
    "cli.batch.column.rejected": Text("Bị loại", "Rejected"),
    "cli.batch.total": Text("Tổng cộng", "Total"),
    "cli.batch.legend": Text(
        "Bảng trên đếm cá nhân trong mỗi đơn vị (cả các đơn vị trực thuộc); KXL: không xếp loại, CĐCC: chưa đủ minh"
        " chứng, Chờ QĐ: vượt tỷ lệ, chờ cấp có thẩm quyền quyết định, CTQ: quy định không xếp được mức, cấp có"
        " thẩm quyền quyết định, Bị loại: dòng đầu vào bị loại.\nDòng đối"
        " chiếu dưới đây đếm mọi dòng đối tượng, cả tập thể.",
        "The table counts the people of each unit (its subordinate units included); Not cl.: not classified,"
        " Insuff.: insufficient evidence, Awaiting: over a quota, awaiting the competent level's decision,"
        " Comp.: not decided by the rules, the competent level decides,"
        " Rejected: input rows rejected.\nThe line below counts every subject row,"
        " collectives too.",
    ),
    "cli.batch.mismatch": Text(
        "CẢNH BÁO: số dòng không khớp, xin báo lỗi này", "WARNING: the counts do not reconcile; please report it"
    ),
    "cli.batch.time": Text("Thời gian: {seconds:.1f} giây", "Time: {seconds:.1f} s"),
    "cli.batch.written": Text("Đã ghi: {path}", "Written: {path}"),
    "cli.batch.quota": Text(
        "Tỷ lệ HTXS: {groups} nhóm, {ranked} nhóm vượt đã xếp hạng, {flagged} nhóm vượt chờ cấp có thẩm quyền quyết"
        " định, {decided} nhóm theo quyết định",
        "HTXS quota: {groups} group{groups_s}, {ranked} over and ranked, {flagged} over and awaiting the competent"
        " level's decision, {decided} decided by the competent level",
    ),
    "cli.batch.note": Text("Ghi chú", "Note"),
    "cli.batch.more_notes": Text(
        "… và {count} ghi chú khác trong tệp bị loại", "… and {count} more notes in the rejections file"
    ),
    "cli.batch.no_rows": Text(
        "không có dòng đối tượng nào trong {path}: không có gì để xếp loại",
        "no subject rows in {path}: nothing to classify",
    ),
    "cli.explain.population_args": Text(
        "với --population cần --subject ID và --period", "--population needs --subject ID and --period"
    ),
    "cli.explain.no_subject": Text(
        "không có đối tượng '{subject}' trong tập dữ liệu", "no subject '{subject}' in the population"
    ),
    "cli.explain.no_evidence": Text(
        "cần một tệp minh chứng, hoặc --population và --subject", "give an evidence file, or --population and --subject"
    ),
    "cli.explain.no_salt": Text(
        "đặt khóa bí mật cho bí danh trong biến môi trường XEPLOAI_REDACT_SALT",
        "set the secret key of the pseudonyms in the environment variable XEPLOAI_REDACT_SALT",
    ),
    "cli.bad_date": Text("ngày không hợp lệ '{value}' (YYYY-MM-DD)", "invalid date '{value}' (YYYY-MM-DD)"),
    "cli.appeal.head": Text(
        "Mã băm của mục cuối (lưu ở nơi khác để phát hiện việc cắt bớt): {head}",
        "Hash of the last entry (keep it elsewhere to detect truncation): {head}",
    ),
    "cli.appeal.bad_time": Text(
        "thời điểm không hợp lệ '{value}': hãy ghi ngày hoặc ngày giờ theo ISO 8601, ví dụ 2021-03-15 hoặc "
        "2021-03-15T09:30:00+07:00",
        "invalid time '{value}': give an ISO 8601 date or date-time, e.g. 2021-03-15 or 2021-03-15T09:30:00+07:00",
    ),
    "cli.appeal.unknown_level": Text(
        "Không có mức xếp loại '{value}'; các mức của khung tiêu chí {framework}: {known}",
        "Unknown level '{value}'; the levels of the framework {framework} are: {known}",
    ),
    "cli.appeal.no_levels": Text(
        "Không kiểm tra được mức '{value}': hồ sơ chưa có mục mở vụ việc (original) cho biết khung tiêu chí, hoặc "
        "không tìm thấy khung tiêu chí trong biên nhận của mục đó; hãy chạy `xeploai appeal open` trước",
        "Cannot check the level '{value}': the history has no original entry naming the framework, or the "
        "framework of its receipt cannot be found; run `xeploai appeal open` first",
    ),
    "cli.appeal.damaged": Text(
        "Hồ sơ vụ việc {path} bị hỏng: {count} vấn đề (không ghi thêm vào một hồ sơ hỏng)",
        "The case history {path} is damaged: {count} problem(s) (nothing is appended to a damaged history)",
    ),
    "cli.keygen.exists": Text(
        "{path} đã có: khóa không bao giờ bị ghi đè; hãy chọn tên khác",
        "{path} exists: a key is never overwritten; choose another name",
    ),
    "cli.keygen.written": Text(
        "Đã tạo khóa bí mật {private} (giữ kín, chỉ người giữ được đọc) và khóa công khai {public} (gửi cho người kiểm "
        "tra). Mã khóa: {key_id}",
        "Wrote the private key {private} (keep it secret; readable by its owner only) and the public key {public} "
        "(give it to whoever verifies). Key id: {key_id}",
    ),
    "cli.sign_needs_receipt": Text(
        "--sign-key ký biên nhận: hãy dùng cùng --receipt FILE", "--sign-key signs the receipt: give --receipt FILE too"
    ),
    "cli.cannot_write": Text("không ghi được {path}: {reason}", "cannot write {path}: {reason}"),
    "cli.appeal.bad_corrections": Text(
        "{path} phải là một ánh xạ trường: giá trị", "{path} must be a mapping of field: value"
    ),
    "section.self_assessment": Text("So sánh với mức tự đánh giá", "Compared with the self-assessed level"),
    "cli.explain.unknown_level": Text(
        "Không có mức xếp loại {value!r}; các mức của khung tiêu chí: {known}",
        "Unknown level {value!r}; the framework's levels are: {known}",
    ),
    "section.smallest_change": Text(
        "Thay đổi nhỏ nhất để đạt mức cao hơn", "The smallest changes that would reach a higher level"
    ),
    "cli.template.written": Text("Đã tạo mẫu: {path}", "Template written: {path}"),
    # xeploai diff --replay
    "cli.diff.one_side": Text(
        "--replay-before và --replay-after phải đi cùng nhau (hoặc dùng --replay cho cả hai khung)",
        "--replay-before and --replay-after go together (or give --replay for both versions)",
    ),
    "diff.replay.head": Text(
        "Chạy lại trên dữ liệu: {moved} trong {compared} đối tượng đổi kết quả",
        "Replay: {moved} of {compared} subjects change outcome",
    ),
    "diff.replay.warn_insufficient": Text(
        "CẢNH BÁO: {both} trong {compared} đối tượng so sánh được chưa đủ minh chứng theo cả hai khung: lần chạy lại"
        " không cho biết họ có đổi kết quả hay không",
        "WARNING: {both} of {compared} subjects compared have insufficient evidence under both versions: the replay"
        " cannot tell whether they change",
    ),
    "diff.replay.warn_ignored": Text(
        "CẢNH BÁO: {side} ({version}) không đọc {count} cột của dữ liệu đầu vào: {columns}",
        "WARNING: {side} ({version}) does not read {count} columns of its input: {columns}",
    ),
    "diff.replay.warn_missing": Text(
        "CẢNH BÁO: dữ liệu đầu vào của {side} ({version}) thiếu cột cho {count} trường bắt buộc: {fields} — dữ liệu"
        " có lẽ được lập cho phiên bản khác (dùng --replay-before/--replay-after)",
        "WARNING: the input of {side} ({version}) has no column for {count} required fields: {fields} — it was"
        " probably written for another version (use --replay-before/--replay-after)",
    ),
    "diff.replay.causes": Text("do: {rules}", "because of: {rules}"),
    "diff.replay.added": Text("lý do mới (quy tắc chỉ có ở B): {rules}", "new reasons (rules only in B): {rules}"),
    "diff.replay.removed": Text(
        "lý do không còn (quy tắc chỉ có ở A): {rules}", "reasons gone (rules only in A): {rules}"
    ),
    "diff.replay.changed": Text(
        "quy tắc có ở cả hai khung, đổi kết quả: {rules}", "rules of both versions whose truth changed: {rules}"
    ),
    "diff.replay.matrix": Text("từ \\ sang", "from \\ to"),
    "diff.replay.ranking": Text(
        "Các quy tắc gây ra thay đổi, theo số đối tượng:", "The rules that made the changes, by number of subjects:"
    ),
    "diff.replay.legend": Text(
        "(+ chỉ có ở B; - chỉ có ở A; ~ có ở cả hai, đổi kết quả; = có ở cả hai, cùng kết quả, nhưng chỉ một"
        " khung đòi hỏi ở mức này)",
        "(+ only in B; - only in A; ~ in both, result changed; = in both, same result, but only one version"
        " requires it at this level)",
    ),
    "diff.replay.unmatched": Text(
        "Đối tượng chỉ được đánh giá theo một khung ({count}):", "Subjects evaluated under one version only ({count}):"
    ),
    "diff.replay.rejected_by": Text(
        "{subject} theo {side}; {other} loại dòng này:", "{subject} under {side}; {other} rejects its row:"
    ),
    "diff.replay.absent_from": Text(
        "{subject} theo {side}; không có trong dữ liệu của {other}", "{subject} under {side}; not in {other}'s input"
    ),
    "diff.replay.reconcile": Text("Đối chiếu số dòng:", "Reconciliation:"),
    "diff.replay.run": Text(
        "{side} ({version}): {rows} dòng đối tượng = {evaluated} được đánh giá + {rejected} bị loại",
        "{side} ({version}): {rows} subject rows = {evaluated} evaluated + {rejected} rejected",
    ),
    "diff.replay.notes": Text(
        "; {notes} ghi chú về dữ liệu đầu vào (cột bỏ qua, dòng quyết định bị loại…; xeploai batch liệt kê)",
        "; {notes} notes on the input (ignored columns, rejected decision rows…; xeploai batch lists them)",
    ),
    "diff.replay.compared": Text(
        "so sánh được {compared} đối tượng (bảng trên); chỉ theo A: {only_a} ({a_rejected} bị B loại,"
        " {a_absent} không có trong dữ liệu của B); chỉ theo B: {only_b} ({b_rejected} bị A loại,"
        " {b_absent} không có trong dữ liệu của A)",
        "compared: {compared} subjects (the table above); under A only: {only_a} ({a_rejected} rejected by B,"
        " {a_absent} not in B's input); under B only: {only_b} ({b_rejected} rejected by A,"
        " {b_absent} not in A's input)",
    ),
    "cli.internal_error": Text(
        "xeploai gặp lỗi nội bộ: {error}\n"
        "Đây là lỗi của chương trình, không phải của dữ liệu đầu vào. Xin báo lỗi này kèm lệnh đã chạy và"
        " các tệp đầu vào; đặt XEPLOAI_DEBUG=1 để xem chi tiết kỹ thuật.",
        "xeploai hit an internal error: {error}\n"
        "This is a bug in xeploai, not in your input. Please report it with the command you ran and the"
        " input files; set XEPLOAI_DEBUG=1 to see the technical details.",
    ),
}


# Frameworks write this where the clause of a document is not located yet; English readers get it in English.
UNLOCATED = "(vị trí chưa xác định)"


def cite_place(at: str, lang: str) -> str:
    """The place in a cited document as written in the framework, except the "not located" mark in English.

    >>> cite_place("(vị trí chưa xác định)", "en"), cite_place("Điều 3", "en")
    ('(clause not yet located)', 'Điều 3')
    """
    return "(clause not yet located)" if lang == "en" and at == UNLOCATED else at


def msg(key: str, lang: str = DEFAULT_LANG, **fmt: object) -> str:
    """The message ``key`` in ``lang`` (``vi`` unless ``en``), formatted with ``fmt``, in NFC.

    >>> msg("section.why_not", "vi", level="HTT")
    'Vì sao không đạt mức HTT'
    >>> msg("truth.not_met", "en")
    'not met'
    """
    text = MESSAGES[key].get(lang)
    if fmt:
        text = text.format(**fmt)
    return unicodedata.normalize("NFC", text)
