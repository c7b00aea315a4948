"""Dispute-packet words: the packet's own sentences in Vietnamese and English.

Input: a key and a language (and the values a sentence names). Output: the sentence, in Unicode NFC. The rest of
a packet's words come from ``explanation.messages`` and the framework.
"""

from __future__ import annotations

import unicodedata

from xeploai.program.ir import Text

WORDS: dict[str, Text] = {
    "title": Text("Hồ sơ giải trình kết quả đánh giá, xếp loại chất lượng", "Classification explanation packet"),
    "redacted": Text(
        "Bản gửi người đề nghị xem xét lại: họ tên và mã của những người khác được thay bằng bí danh.",
        "Complainant's copy: other people's names and ids are replaced by pseudonyms.",
    ),
    "item": Text("Mục", "Item"),
    "detail": Text("Nội dung", "Detail"),
    "who": Text("Người được đánh giá", "Subject"),
    "kind": Text("Loại đối tượng", "Subject kind"),
    "outcome": Text("Kết quả", "Outcome"),
    "version": Text("Phiên bản", "Version"),
    "file": Text("Tệp khung tiêu chí", "Framework file"),
    "sha256": Text("SHA-256", "SHA-256"),
    "chain": Text("Các tệp khung tiêu chí (tệp gốc trước)", "Framework files (the central one first)"),
    "in_force": Text("Hiệu lực", "In force"),
    "in_force.from": Text("từ {start}", "from {start}"),
    "in_force.range": Text("từ {start} đến {end}", "from {start} to {end}"),
    "section.path": Text("Kết quả và cách xác định", "The outcome and how it was decided"),
    "section.facts": Text("Thông tin đã dùng", "Facts used"),
    "section.why_not": Text("Vì sao không đạt mức cao hơn", "Why not a higher level"),
    "section.quotas": Text("Quy định về tỷ lệ", "Quotas"),
    "section.legal": Text("Văn bản căn cứ", "Legal documents cited"),
    "section.signatures": Text("Xác nhận", "Signatures"),
    "facts.value": Text("Giá trị", "Value"),
    "facts.origin": Text("Nguồn", "Source"),
    "origin.evidence": Text("hồ sơ", "evidence"),
    "origin.judgement": Text("đánh giá của tập thể/cá nhân", "human judgement"),
    "origin.default": Text("mặc định (không khai)", "default (not given)"),
    "origin.missing": Text("thiếu", "missing"),
    "origin.relation": Text("kết quả của đối tượng liên quan", "results of related subjects"),
    "facts.none": Text("Không có thông tin nào được đọc.", "No evidence was read."),
    "path.quota": Text("Chi tiết ở mục «Quy định về tỷ lệ».", "See «Quotas» for the details."),
    "path.see_why_not": Text(
        "Chi tiết từng điều kiện ở mục «Vì sao không đạt mức cao hơn».",
        "Each condition is detailed under «Why not a higher level».",
    ),
    "path.see_caps": Text("Chi tiết ở mục «Giới hạn mức đã áp dụng».", "See «Caps applied» for the details."),
    "why_not.trigger": Text(
        "Thuộc trường hợp không hoàn thành nhiệm vụ (xem mục «Kết quả và cách xác định»).",
        "Falls under a case of not completing tasks (see «The outcome and how it was decided»).",
    ),
    "why_not.quota": Text(
        "Đáp ứng các yêu cầu của mức này nhưng bị hạ theo quy định về tỷ lệ (xem mục «Quy định về tỷ lệ»).",
        "Meets the requirements of this level but was lowered by a quota (see «Quotas»).",
    ),
    "exists.matching": Text("{count}/{total} khớp điều kiện", "{count} of {total} match"),
    "why_not.none": Text("Không có mức nào cao hơn kết quả này.", "There is no level above this outcome."),
    "rule.as_written": Text("Quy tắc", "Rule"),
    "condition.must_hold": Text("phải đạt", "must hold"),
    "condition.must_not_hold": Text("không được đạt", "must not hold"),
    "share.split": Text("Theo từng người", "Person by person"),
    "quota.group": Text("Nhóm: {group}", "Group: {group}"),
    "quota.arith": Text(
        "{level} không quá {pct} số {of_level}: {base} × {pct} = {exact}{arrow} ({rounding}).",
        "{level} at most {pct} of {of_level}: {base} × {pct} = {exact}{arrow} ({rounding}).",
    ),
    "quota.base": Text(
        "{base} là số người xếp {of_level} trong nhóm trước khi áp dụng tỷ lệ;"
        " được phép tối đa {allowed} người {level}.",
        "{base} is the number rated {of_level} in the group before the quota; at most {allowed} may be {level}.",
    ),
    "rounding.floor": Text("làm tròn xuống", "rounded down"),
    "rounding.ceil": Text("làm tròn lên", "rounded up"),
    "rounding.half_up": Text("làm tròn, từ 0,5 trở lên làm tròn lên", "rounded to the nearest, halves up"),
    "quota.within": Text(
        "{count} người đủ điều kiện {level}, không vượt số được phép: không ai bị hạ.",
        "{count} met the requirements of {level}, within the limit: nobody was lowered.",
    ),
    "quota.ranked": Text(
        "{count} người đủ điều kiện {level}, vượt số được phép ({allowed}): xếp thứ tự theo {keys};"
        " {allowed} người đầu giữ mức {level}, những người còn lại xếp {demote}.",
        "{count} met the requirements of {level}, more than the {allowed} allowed: ranked by {keys};"
        " the first {allowed} keep {level}, the others are rated {demote}.",
    ),
    "quota.flagged": Text(
        "{count} người đủ điều kiện {level}, vượt số được phép ({allowed}): chờ cấp có thẩm quyền xem xét, quyết định.",
        "{count} met the requirements of {level}, more than the {allowed} allowed: left to the competent"
        " level's decision.",
    ),
    "quota.suggestion": Text(
        "Thứ tự trong danh sách dưới đây (theo {keys}) là gợi ý của công cụ để hỗ trợ quyết định, không phải quy định.",
        "The order of the list below (by {keys}) is the tool's suggestion to support the decision, not the rule.",
    ),
    "quota.record": Text(
        "Quyết định: {decision}; cấp quyết định: {by}; ngày: {on}; người được giữ: {kept}; người chuyển xuống: {moved}"
        " (dòng {source}).",
        "Decision: {decision}; decided by: {by}; on: {on}; kept: {kept}; moved: {moved} (row {source}).",
    ),
    "quota.raised": Text(
        "Quyết định nâng tỷ lệ lên {raised} (mức trần {ceiling}, {cite}): được {allowed} người.",
        "The decision raises the share to {raised} (ceiling {ceiling}, {cite}): {allowed} allowed.",
    ),
    "quota.decided": Text(
        "{count} người đủ điều kiện {level}; theo quyết định của cấp có thẩm quyền ({decision}),"
        " giữ mức {level}: {kept}.",
        "{count} met the requirements of {level}; by the competent committee's decision ({decision}), keeping"
        " {level}: {kept}.",
    ),
    "quota.position": Text("{who} xếp thứ {rank}/{count}: {fate}.", "{who} ranks {rank} of {count}: {fate}."),
    "quota.ties": Text("bằng nhau thì theo thứ tự mã", "ties by id"),
    "quota.desc": Text("cao hơn xếp trước", "highest first"),
    "quota.asc": Text("thấp hơn xếp trước", "lowest first"),
    "quota.keeps": Text("giữ mức {level}", "keeps {level}"),
    "quota.lowered": Text("hạ xuống {level}", "lowered to {level}"),
    "quota.pending": Text("chờ cấp có thẩm quyền quyết định", "awaiting the competent level's decision"),
    "quota.others": Text(
        "Những người khác trong nhóm được xét {level}:", "The others in the group considered for {level}:"
    ),
    "quota.others.none": Text(
        "Không có ai khác trong nhóm được xét {level}.", "Nobody else in the group was considered for {level}."
    ),
    "quota.rank": Text("Thứ tự", "Rank"),
    "quota.person": Text("Người", "Person"),
    "confidence.lead": Text(
        "Kết quả này dựa vào các quy tắc sau, chưa được xác nhận trực tiếp trong văn bản chính thức:",
        "This outcome relies on the following rules, which are not confirmed in the official text:",
    ),
    "confidence.rule": Text("Quy tắc", "Rule"),
    "confidence.mark": Text("Độ tin cậy", "Confidence"),
    "legal.number": Text("Số hiệu", "Number"),
    "legal.title": Text("Tên văn bản", "Title"),
    "legal.issued": Text("Cơ quan ban hành, ngày", "Issued by, on"),
    "sign.prepared_by": Text("Người lập", "Prepared by"),
    "sign.prepared_by.hint": Text("(Ký, ghi rõ họ tên)", "(Signature and full name)"),
    "sign.committee": Text("Đại diện cấp ủy", "For the committee"),
    "sign.committee.hint": Text("(Ký, ghi rõ họ tên, chức vụ)", "(Signature, full name and position)"),
    "sign.date.blank": Text("Ngày …… tháng …… năm ……", "Date: ……………………"),
    "sign.date": Text("Ngày {day:02d} tháng {month:02d} năm {year}", "Date: {iso}"),
    "footer": Text(
        "Lập từ vết đánh giá của xeploai. Mọi kết luận trên có thể kiểm tra lại bằng tệp khung tiêu chí"
        " (mã SHA-256 ở trên) và các văn bản căn cứ đã dẫn.",
        "Prepared from xeploai's evaluation trace. Every finding above can be checked against the framework file"
        " (SHA-256 above) and the legal documents cited.",
    ),
}


def say(key: str, lang: str, **fmt: object) -> str:
    """The packet's sentence ``key`` in ``lang``, with ``fmt`` filled in."""
    text = WORDS[key].get(lang)
    return nfc(text.format(**fmt) if fmt else text)


def nfc(text: str) -> str:
    """``text`` in Unicode NFC, the form every packet is written in."""
    return unicodedata.normalize("NFC", text)
