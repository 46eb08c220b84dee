"""English for the Chinese msgids, used by `python webapp/translations/english.py` to fill
webapp/translations/en/LC_MESSAGES/messages.po after `pybabel extract`/`update`.

Chinese is the message id everywhere; only msgids still missing an English msgstr are filled,
so hand edits in messages.po are kept.
"""
from __future__ import annotations

import sys
from pathlib import Path

EN = {
    "3日内到期": "Due within 3 days", "上一条": "Previous", "上一段 / 下一段原文": "Previous / next piece of the original",
    "上一页": "Previous page", "上传": "Upload", "上传时间": "Uploaded", "上传者": "Uploaded by", "上报": "Escalate",
    "上报到": "Escalated to", "上报理由": "Reason for escalating", "上报理由（本级为何解决不了）": "Reason for escalating (why this level cannot solve it)",
    "下一个 / 上一个字段（低置信度字段优先）": "Next / previous field (low-confidence fields first)", "下一条": "Next",
    "下一条 / 上一条采集": "Next / previous capture", "下一页": "Next page", "下载": "Download", "不满意": "Dissatisfied",
    "乡镇": "Township", "事项": "Item", "事项数": "Items", "任务": "Quota", "低置信度": "Low confidence",
    "低置信度优先": "Low confidence first", "你填写的": "Yours", "你没有修改字段；状态或版本已被他人更改。": "You changed no field; the status or version was changed by someone else.",
    "你的修改没有保存。下面的表单显示的是当前保存的内容；请核对后再保存或确认。": "Your changes were not saved. The form below shows what is saved now; check it, then save or confirm again.",
    "依次移到下一个输入项": "Move to the next input", "保存": "Save", "保存修改": "Save changes", "修改好了，重新提交": "Corrected, submit again",
    "修改退回的日记": "Correct a returned entry", "停止录音": "Stop recording", "全部": "All", "公开页": "Public page", "公示版": "Public version",
    "关联": "Link", "关联日记": "Linked entries", "关键词": "Keyword", "冲突：这条记录在你打开之后已被修改": "Conflict: this record was changed after you opened it",
    "分办方式": "Triage", "创建": "Create", "删除": "Remove", "到期提醒": "Deadline reminders", "剩 %(n)s 天": "%(n)s days left", "办理": "Handle",
    "办理层级": "Level", "办理时限": "Deadline", "办理结果": "Result", "办理记录": "History", "办结": "Complete", "单位": "Unit", "原件": "Originals",
    "原始材料": "Original", "去修改": "Correct it", "反映人": "Reported by", "反映的问题": "The problem reported", "反映问题": "Problem",
    "反馈情况": "Feedback", "反馈方式": "Feedback method", "反馈时间": "Told on", "发送中…": "Sending…", "取消": "Cancel", "受理": "Accept",
    "受理意见": "Note on accepting", "另有 %(n)d 条待审核": "%(n)d more waiting for review", "只看逾期": "Overdue only",
    "只确认，不进台账": "Confirm only, not into the ledger", "可不填": "optional", "可能重复": "Possible duplicate", "可能重复的事项": "Possible duplicates",
    "台账": "Ledger", "台账事项": "Ledger items", "各单位事项": "Items by unit", "各单位事项情况": "Items by unit", "同地点": "Same place", "同类别": "Same category",
    "在输入框中时，请按住 Alt 再按字母键，或先按 Esc 离开输入框。": "In a text box, hold Alt with the letter key, or press Esc to leave the box first.",
    "地点": "Place", "基本满意": "Mostly satisfied", "如何告知群众": "How the villager was told", "字段": "Field", "完成情况": "Progress",
    "审核": "Review", "审核意见：": "Reviewer's comment: ", "密码": "Password", "已上传，正在识别": "Uploaded, recognizing",
    "已保存 %(n)d 处修改": "Saved %(n)d change(s)", "已创建重点项目": "Key project created", "已办理：%(action)s": "Done: %(action)s",
    "已办结事项": "Completed items", "已合并到": "Merged into", "已完成": "Done", "已确认 #%(id)d": "Confirmed #%(id)d",
    "已确认 #%(id)d，问题已进入台账（编号 %(code)s）": "Confirmed #%(id)d; the problem is in the ledger (code %(code)s)",
    "已进入台账：%(code)s": "In the ledger: %(code)s", "已退回": "Returned", "已退回 #%(id)d 给干部修改": "Returned #%(id)d to the cadre for correction",
    "已逾期": "Overdue", "已重新提交 #%(id)d，等待审核": "Resubmitted #%(id)d, waiting for review", "已驳回 #%(id)d": "Rejected #%(id)d",
    "干部": "Cadre", "干部填写的走访日期": "visit date given by the cadre", "干部走访": "Cadre visits",
    "干部走访次数（任务 %(n)s 次）": "Visits per cadre (quota %(n)s)", "并入该事项": "Merge into this item", "当前保存的": "Saved now",
    "当前状态：": "Current status: ", "当面告知": "Told in person", "录音": "Voice memo", "待入台账的日记": "Entries waiting for the ledger",
    "待审核": "Ready for review", "待核对": "check", "快捷键": "Shortcuts", "您对办理结果的评价": "Your rating of the result",
    "您的意见已记录。": "Your opinion has been recorded.", "意见": "Comment", "意见（可不填）": "Comment (optional)",
    "感谢您的评价！": "Thank you for your rating!", "我的采集": "My captures", "或选择手机里的录音/照片": "Or choose recordings/photos on the phone",
    "打印我的民心日记": "Print my diary", "拍摄/录音时间": "Taken/recorded at", "拍本子照片": "Photograph notebook pages", "指导意见": "Guidance",
    "按 J / K 在列表中移动，回车打开，? 查看全部快捷键。": "J / K move in the list, Enter opens, ? shows all shortcuts.",
    "提交评价": "Submit rating", "播放 / 暂停录音": "Play / pause the recording", "收到": "Received", "收到于": "received",
    "新增": "New", "新建重点项目": "New key project", "无法使用麦克风：": "Cannot use the microphone: ", "日期": "Date",
    "日记条目": "Diary entry", "显示 / 隐藏本帮助": "Show / hide this help", "暂无已办结事项": "No completed items yet", "月份": "Month",
    "期限": "Deadline", "期限日期格式不对": "The deadline is not a valid date", "本月任务已完成": "This month's quota is met",
    "本月走访": "Visits this month", "本月走访（已确认）": "Visits this month (confirmed)", "村": "Village", "查看": "View", "标记": "Flags",
    "标黄的字段识别置信度低，请重点核对。": "Fields in yellow were recognized with low confidence: check them first.",
    "正在上传…": "Uploading…", "正在识别…": "Recognizing…", "此评议码已使用，感谢您的评价": "This code has been used; thank you for your rating",
    "此评议码已使用，感谢您的评价。": "This code has been used; thank you for your rating.", "每月任务 %(n)s 次": "Monthly quota: %(n)s",
    "民心台账": "Problem ledger", "民心日记": "Minxin Diary", "民心日记统计": "Minxin Diary statistics", "没有干部": "No cadres",
    "没有待入台账的日记": "No entries waiting for the ledger", "没有待审核的采集。": "Nothing waiting for review.",
    "没有符合条件的事项": "No matching items", "没有逾期或即将到期的事项": "Nothing overdue or due soon", "清除": "Clear", "满意": "Satisfied",
    "满意度": "Satisfaction", "满意率": "Satisfaction rate", "照片": "Photos", "状态": "Status", "状态：": "Status: ",
    "现在没有网络。新的记录会先保存在手机里，有网后自动发送。": "No network now. New records are kept on the phone and sent when the network is back.",
    "现在重试": "Retry now", "现场": "On site", "理由": "Reason", "理由（调整时限时必填）": "Reason (required when moving a deadline)",
    "用户名": "User name", "用户名或密码错误": "Wrong user name or password", "登录": "Log in", "登记当面征求的群众评价": "Record a rating given in person",
    "相似度": "Similarity", "知道了": "Got it", "确认": "Confirm", "确认对话框中选择处理方式": "Choose the triage in the confirm dialog",
    "确认这条日记": "Confirm this entry", "确认（可同时送入台账）": "Confirm (optionally into the ledger)", "离开输入框 / 关闭对话框": "Leave the text box / close the dialog",
    "立项": "Open item", "笔记照片": "Notebook photos", "第 %(n)d 页": "Page %(n)d", "等待发送": "Waiting to send", "筛选": "Filter",
    "类别": "Category", "类型": "Kind", "系统/群众": "System/villager", "统计": "Statistics", "编号": "Code",
    "网络不通，已保存在本机，有网后自动发送": "No connection: kept on this phone, sent automatically when the network is back",
    "置信度": "Confidence", "群众反映问题办理情况公开": "Public report on villagers' problems", "群众评价": "Villagers' ratings",
    "群众评议": "Villager evaluation", "群众评议码": "Evaluation code", "范围内待审核": "Waiting in your scope", "落后，差 %(n)s 次": "Behind by %(n)s",
    "解决结果": "Result", "记一次走访": "Record a visit", "评价数": "Ratings", "评议码": "Code", "评议码无效，请核对后重试。": "Invalid code; check it and try again.",
    "识别中": "Recognizing", "识别失败": "Recognition failed", "识别失败：": "Recognition failed: ", "识别文字": "Recognized text",
    "识别文本": "Recognized text", "识别置信度": "Recognition confidence", "该事项已被他人修改，请刷新后重试": "Someone else changed this item; reload and try again",
    "该事项正在办理中，办结后即可评议。": "This item is being handled; it can be rated once completed.", "说明": "Note",
    "说明（干部会看到）": "Comment (the cadre will see it)", "请先录音或选择照片": "Record or choose photos first",
    "请填写有效的反馈时间": "Enter a valid feedback time", "请填写有效的日期：%(what)s": "Enter a valid date: %(what)s",
    "请选择要关联的事项": "Choose the item to link", "请选择要并入的事项": "Choose the item to merge into", "责任单位": "Responsible unit",
    "走访": "Visits", "走访日期": "Visit date", "走访次数": "Visits", "返回": "Back", "还没有草稿条目。": "No draft entry yet.",
    "还没有识别结果。": "No recognition result yet.", "还没有采集": "No captures yet", "还没有重点项目": "No key projects yet",
    "这些记录保存在本机，有网络时会自动发送。": "These records are kept on this device and sent automatically when online.",
    "这条记录现在不能修改。": "This record cannot be changed now.", "进台账：上报上级": "Into the ledger: escalate",
    "进台账：当场解决": "Into the ledger: solved on the spot", "进台账：限期解决": "Into the ledger: solve by a deadline", "进度": "Progress",
    "退出": "Log out", "退回": "Return", "退回修改": "Returned for correction", "退回到": "Sent back to", "退回干部修改": "Return to the cadre",
    "逾期": "Overdue", "逾期 %(n)s 天": "%(n)s days overdue", "采用我的": "Use mine", "采集": "Capture", "重新办理的理由": "Reason for reopening",
    "重点项目": "Key projects", "销号意见": "Closing note", "错误": "Error", "键盘快捷键": "Keyboard shortcuts", "问题": "Problem", "队列": "Queue",
    "项目": "Project", "项目名称": "Project name", "驳回": "Reject", "（不属于重点项目）": "(no key project)",
    "走访时间": "Visit time", "受访对象": "Interviewee", "走访方式": "Visit method", "解决思路": "Solution", "心得体会": "Reflections",
    "问题类别": "Category", "已接收": "Received", "已确认": "Confirmed", "已驳回": "Rejected", "失败": "Failed",
}


def fill(po_path: Path) -> int:
    from babel.messages.pofile import read_po, write_po

    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale="en")
    n = 0
    for message in catalog:
        if message.id and not message.string and message.id in EN:
            message.string = EN[message.id]
            message.flags.discard("fuzzy")
            n += 1
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, sort_output=True, omit_header=False)
    return n


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"
    print(f"filled {fill(path)} messages in {path}")
