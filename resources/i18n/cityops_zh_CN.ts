<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>alarms</name>
    <message>
        <source> · {n} EARLY</source>
        <translation> · 预警 {n}</translation>
    </message>
    <message>
        <source>1 h</source>
        <translation>1小时</translation>
    </message>
    <message>
        <source>12 h</source>
        <translation>12小时</translation>
    </message>
    <message>
        <source>15 min</source>
        <translation>15分钟</translation>
    </message>
    <message>
        <source>4 h</source>
        <translation>4小时</translation>
    </message>
    <message>
        <source>ACK</source>
        <translation type="vanished">已确认</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Comment on {name}:</source>
        <translation>批注 {name}：</translation>
    </message>
    <message>
        <source>Early warning (not an alarm): the forecast expects {name} to reach its {limit} limit {threshold:,.4g} {unit}</source>
        <translation>预警（非告警）：预测 {name} 将达到 {limit} 限值 {threshold:,.4g} {unit}</translation>
    </message>
    <message>
        <source>Enter acknowledge · A all · S shelve · C comment · U unshelve · ↑↓ select</source>
        <translation>Enter 确认 · A 全部确认 · S 搁置 · C 批注 · U 解除搁置 · ↑↓ 选择</translation>
    </message>
    <message>
        <source>Indicator</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>限值</translation>
    </message>
    <message>
        <source>NEW</source>
        <translation>新告警</translation>
    </message>
    <message>
        <source>No standing alarms</source>
        <translation>无在册告警</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>RTN</source>
        <translation>已恢复</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>发生时间</translation>
    </message>
    <message>
        <source>SEEN</source>
        <translation>已阅</translation>
    </message>
    <message>
        <source>SHELVED</source>
        <translation>已搁置</translation>
    </message>
    <message>
        <source>Shelve {name}:</source>
        <translation>搁置 {name}：</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>a {role} may not {action} (ask a supervisor)</source>
        <translation>{role}无权{action}（请找值班长）</translation>
    </message>
    <message>
        <source>acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>an early warning is only acknowledged; it goes by itself</source>
        <translation>预警只需确认，会自行消失</translation>
    </message>
    <message>
        <source>comment</source>
        <translation>批注</translation>
    </message>
    <message>
        <source>comment — Enter save, Esc cancel</source>
        <translation>批注内容 — Enter 保存，Esc 取消</translation>
    </message>
    <message>
        <source>nobody is signed in at this console: sign in first</source>
        <translation>此控制台无人登录：请先登录</translation>
    </message>
    <message>
        <source>reason (required) — ↑↓ duration, Enter shelve, Esc cancel</source>
        <translation>搁置原因（必填）— ↑↓ 时长，Enter 搁置，Esc 取消</translation>
    </message>
    <message>
        <source>shelve</source>
        <translation>搁置</translation>
    </message>
    <message>
        <source>unshelve</source>
        <translation>解除搁置</translation>
    </message>
    <message>
        <source>{name}: alarm limit expected in ~{minutes} min ({span})</source>
        <translation>{name}：预计约 {minutes} 分钟后达到告警限值（{span}）</translation>
    </message>
    <message>
        <source>{title} · {unacknowledged} UNACKNOWLEDGED · {active} ACTIVE · {shelved} SHELVED</source>
        <translation>{title} · 未确认 {unacknowledged} · 活动 {active} · 搁置 {shelved}</translation>
    </message>
    <message>
        <source>▼ {n} more below</source>
        <translation>▼ 下方还有 {n} 条</translation>
    </message>
    <message>
        <source>◇ EARLY</source>
        <translation>◇ 预警</translation>
    </message>
</context>
<context>
    <name>banner</name>
    <message>
        <source>DRILL: {title}</source>
        <translation>演练：{title}</translation>
    </message>
    <message>
        <source>REPLAY · {time} · {speed} · {state}</source>
        <translation>回放 · {time} · {speed} · {state}</translation>
    </message>
    <message>
        <source>ddd d MMM HH:mm:ss</source>
        <translation>M月d日 ddd HH:mm:ss</translation>
    </message>
    <message>
        <source>▶ playing</source>
        <translation>▶ 播放中</translation>
    </message>
    <message>
        <source>❚❚ paused</source>
        <translation>❚❚ 已暂停</translation>
    </message>
</context>
<context>
    <name>core</name>
    <message>
        <source>12345 hotline</source>
        <translation>12345热线</translation>
    </message>
    <message>
        <source>Air quality</source>
        <translation>空气质量</translation>
    </message>
    <message>
        <source>Ambulance</source>
        <translation>救护车</translation>
    </message>
    <message>
        <source>Building safety</source>
        <translation>建筑安全</translation>
    </message>
    <message>
        <source>Building-safety alert</source>
        <translation>建筑安全预警</translation>
    </message>
    <message>
        <source>City-wide</source>
        <translation>全市</translation>
    </message>
    <message>
        <source>Drainage</source>
        <translation>排水</translation>
    </message>
    <message>
        <source>Fire alarm</source>
        <translation>火灾报警</translation>
    </message>
    <message>
        <source>Fire engine</source>
        <translation>消防车</translation>
    </message>
    <message>
        <source>Gas &amp; heating</source>
        <translation>燃气供热</translation>
    </message>
    <message>
        <source>Gas leak</source>
        <translation>燃气泄漏</translation>
    </message>
    <message>
        <source>HIGH</source>
        <translation>高</translation>
    </message>
    <message>
        <source>Hotline complaint cluster</source>
        <translation>热线投诉聚集</translation>
    </message>
    <message>
        <source>LOW</source>
        <translation>低</translation>
    </message>
    <message>
        <source>MEDIUM</source>
        <translation>中</translation>
    </message>
    <message>
        <source>MQTT keeps no history</source>
        <translation>MQTT 不保留历史数据</translation>
    </message>
    <message>
        <source>Patrol car</source>
        <translation>巡逻车</translation>
    </message>
    <message>
        <source>Power</source>
        <translation>电力</translation>
    </message>
    <message>
        <source>Power outage</source>
        <translation>停电</translation>
    </message>
    <message>
        <source>Traffic</source>
        <translation>交通</translation>
    </message>
    <message>
        <source>Traffic accident</source>
        <translation>交通事故</translation>
    </message>
    <message>
        <source>Transit</source>
        <translation>公共交通</translation>
    </message>
    <message>
        <source>UAV</source>
        <translation>无人机</translation>
    </message>
    <message>
        <source>URGENT</source>
        <translation>紧急</translation>
    </message>
    <message>
        <source>Utility crew</source>
        <translation>抢修队</translation>
    </message>
    <message>
        <source>Water supply</source>
        <translation>供水</translation>
    </message>
    <message>
        <source>Waterlogging</source>
        <translation>道路积水</translation>
    </message>
    <message>
        <source>Weather</source>
        <translation>气象</translation>
    </message>
    <message>
        <source>a note needs some text</source>
        <translation>备注不能为空</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>an alarm comment needs some text</source>
        <translation>告警批注不能为空</translation>
    </message>
    <message>
        <source>available</source>
        <translation>待命</translation>
    </message>
    <message>
        <source>city centre</source>
        <translation>市中心</translation>
    </message>
    <message>
        <source>city-wide</source>
        <translation>全市</translation>
    </message>
    <message>
        <source>close</source>
        <translation>办结</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>已办结</translation>
    </message>
    <message>
        <source>comment</source>
        <translation>批注</translation>
    </message>
    <message>
        <source>critical</source>
        <translation>特重</translation>
    </message>
    <message>
        <source>dispatch</source>
        <translation>派遣</translation>
    </message>
    <message>
        <source>dispatched</source>
        <translation>已派遣</translation>
    </message>
    <message>
        <source>en route</source>
        <translation>途中</translation>
    </message>
    <message>
        <source>escalated</source>
        <translation>升级</translation>
    </message>
    <message>
        <source>major</source>
        <translation>重大</translation>
    </message>
    <message>
        <source>minor</source>
        <translation>一般</translation>
    </message>
    <message>
        <source>moderate</source>
        <translation>较大</translation>
    </message>
    <message>
        <source>no platform</source>
        <translation>无平台</translation>
    </message>
    <message>
        <source>on scene</source>
        <translation>到场</translation>
    </message>
    <message>
        <source>opened</source>
        <translation>接报</translation>
    </message>
    <message>
        <source>operator</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>patrol</source>
        <translation>巡逻中</translation>
    </message>
    <message>
        <source>push</source>
        <translation type="vanished">推送</translation>
    </message>
    <message>
        <source>reported</source>
        <translation>已接报</translation>
    </message>
    <message>
        <source>resolve</source>
        <translation>处置</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>已处置</translation>
    </message>
    <message>
        <source>returned, unacknowledged</source>
        <translation>已恢复，未确认</translation>
    </message>
    <message>
        <source>returning</source>
        <translation>返回中</translation>
    </message>
    <message>
        <source>shelved</source>
        <translation>已搁置</translation>
    </message>
    <message>
        <source>shelving an alarm needs a reason</source>
        <translation>搁置告警须填写原因</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>值班长</translation>
    </message>
    <message>
        <source>trainer</source>
        <translation>培训员</translation>
    </message>
    <message>
        <source>unacknowledged</source>
        <translation>未确认</translation>
    </message>
</context>
<context>
    <name>drill</name>
    <message>
        <source>DRILL</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>DRILL — not a real incident</source>
        <translation>演练 — 非真实事件</translation>
    </message>
</context>
<context>
    <name>header</name>
    <message>
        <source>1 operator action waiting to send</source>
        <translation>1 项操作待发送</translation>
    </message>
    <message>
        <source>CATCHING UP</source>
        <translation>数据追补中</translation>
    </message>
    <message>
        <source>CONNECTING</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>DISK FULL</source>
        <translation>磁盘已满</translation>
    </message>
    <message>
        <source>LIVE</source>
        <translation>实时</translation>
    </message>
    <message>
        <source>NOT SIGNED IN</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>PLATFORM HOLDING DATA</source>
        <translation>平台数据滞留</translation>
    </message>
    <message>
        <source>PLATFORM OFFLINE</source>
        <translation>平台离线</translation>
    </message>
    <message>
        <source>PLATFORM ONLINE</source>
        <translation>平台在线</translation>
    </message>
    <message>
        <source>RECORDING</source>
        <translation>录像回放</translation>
    </message>
    <message>
        <source>REPLAY {speed}×</source>
        <translation>回放 {speed}×</translation>
    </message>
    <message>
        <source>held</source>
        <translation>已暂停轮播</translation>
    </message>
    <message>
        <source>live by polling every {s} s</source>
        <translation>实时（每 {s} 秒轮询）</translation>
    </message>
    <message>
        <source>live by push</source>
        <translation>实时（推送）</translation>
    </message>
    <message>
        <source>live by {how}</source>
        <translation type="vanished">实时{how}</translation>
    </message>
    <message>
        <source>new data held back {s} s by a transaction left open on the platform</source>
        <translation>平台上有未结束的事务，新数据已滞留 {s} 秒</translation>
    </message>
    <message>
        <source>newest data {age} old</source>
        <translation>最新数据 {age}前</translation>
    </message>
    <message>
        <source>next in {s} s</source>
        <translation>{s} 秒后翻页</translation>
    </message>
    <message>
        <source>nobody is authenticated (demo platform)</source>
        <translation>无人经过身份验证（演示平台）</translation>
    </message>
    <message>
        <source>not verified: the platform cannot be reached</source>
        <translation>未验证：平台无法连接</translation>
    </message>
    <message>
        <source>nothing done here reaches the platform</source>
        <translation>此处的操作不会发送到平台</translation>
    </message>
    <message>
        <source>operator actions refused: {why}</source>
        <translation>操作被平台拒绝：{why}</translation>
    </message>
    <message>
        <source>retrying in {s} s</source>
        <translation>{s} 秒后重试</translation>
    </message>
    <message>
        <source>{done} of {total} rows · {rate} rows/s</source>
        <translation>已同步 {done} / {total} 行 · {rate} 行/秒</translation>
    </message>
    <message>
        <source>{down} OF {all} SOURCES OFFLINE</source>
        <translation>{all} 个数据源中 {down} 个离线</translation>
    </message>
    <message>
        <source>{name}: OFFLINE {age}</source>
        <translation>{name}：离线 {age}</translation>
    </message>
    <message>
        <source>{name}: connecting</source>
        <translation>{name}：连接中</translation>
    </message>
    <message>
        <source>{name}: online</source>
        <translation>{name}：在线</translation>
    </message>
    <message>
        <source>{name}: {age} old</source>
        <translation>{name}：数据 {age}前</translation>
    </message>
    <message>
        <source>{n} operator actions waiting to send</source>
        <translation>{n} 项操作待发送</translation>
    </message>
    <message>
        <source>{page} {n}/{total}</source>
        <translation>{page} {n}/{total}</translation>
    </message>
</context>
<context>
    <name>health</name>
    <message>
        <source>Air</source>
        <translation>空气</translation>
    </message>
    <message>
        <source>Building</source>
        <translation>建筑</translation>
    </message>
    <message>
        <source>City health</source>
        <translation>城市健康度</translation>
    </message>
    <message>
        <source>Drains</source>
        <translation>排水</translation>
    </message>
    <message>
        <source>Gas/heat</source>
        <translation>燃气供热</translation>
    </message>
    <message>
        <source>Health by district</source>
        <translation>各区健康度</translation>
    </message>
    <message>
        <source>Index</source>
        <translation>指数</translation>
    </message>
    <message>
        <source>Power</source>
        <translation>电力</translation>
    </message>
    <message>
        <source>Traffic</source>
        <translation>交通</translation>
    </message>
    <message>
        <source>Transit</source>
        <translation>公交</translation>
    </message>
    <message>
        <source>Waiting for data…</source>
        <translation>等待数据…</translation>
    </message>
    <message>
        <source>Water</source>
        <translation>供水</translation>
    </message>
    <message>
        <source>Weather</source>
        <translation>气象</translation>
    </message>
    <message>
        <source>no alarms or warnings</source>
        <translation>无告警、无预警</translation>
    </message>
    <message>
        <source>no current data</source>
        <translation>无实时数据</translation>
    </message>
    <message>
        <source>{note} · {pct} rep.</source>
        <translation>{note} · 上报 {pct}</translation>
    </message>
    <message>
        <source>{n} ALARM</source>
        <translation>{n} 告警</translation>
    </message>
    <message>
        <source>{n} WARN</source>
        <translation>{n} 预警</translation>
    </message>
    <message>
        <source>{n} alarm</source>
        <translation>{n} 条告警</translation>
    </message>
    <message>
        <source>{n} alarms</source>
        <translation>{n} 条告警</translation>
    </message>
    <message>
        <source>{n} warning</source>
        <translation>{n} 条预警</translation>
    </message>
    <message>
        <source>{n} warnings</source>
        <translation>{n} 条预警</translation>
    </message>
    <message>
        <source>{pct} reporting</source>
        <translation>上报率 {pct}</translation>
    </message>
</context>
<context>
    <name>host</name>
    <message>
        <source>Restarting in {seconds} s (attempt {attempt})</source>
        <translation>{seconds} 秒后重启（第 {attempt} 次）</translation>
    </message>
    <message>
        <source>This view stopped: {error}</source>
        <translation>此视图已停止：{error}</translation>
    </message>
</context>
<context>
    <name>incident</name>
    <message>
        <source>  —  not available: {keys} ({reason})</source>
        <translation>  —  不可用：{keys}（{reason}）</translation>
    </message>
    <message>
        <source>Assign to {id}:</source>
        <translation>指派到 {id}：</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件详情</translation>
    </message>
    <message>
        <source>LOG</source>
        <translation>处置记录</translation>
    </message>
    <message>
        <source>NEARBY SENSORS</source>
        <translation>周边传感器</translation>
    </message>
    <message>
        <source>No events received yet.</source>
        <translation>尚未收到事件记录。</translation>
    </message>
    <message>
        <source>No incident selected.
Choose one in the incident table (↑↓) or on the map.</source>
        <translation>未选择事件。
请在事件列表（↑↓）或地图上选择。</translation>
    </message>
    <message>
        <source>No sensors nearby.</source>
        <translation>附近无传感器。</translation>
    </message>
    <message>
        <source>No unit assigned.</source>
        <translation>未指派处置力量。</translation>
    </message>
    <message>
        <source>Note on {id}:</source>
        <translation>{id} 备注：</translation>
    </message>
    <message>
        <source>PLAN · NONE FOR THIS KIND</source>
        <translation>预案 · 此类事件无预案</translation>
    </message>
    <message>
        <source>PLAN · {title} · {done}/{steps} DONE</source>
        <translation>预案 · {title} · 已完成 {done}/{steps}</translation>
    </message>
    <message>
        <source>UNITS</source>
        <translation>处置力量</translation>
    </message>
    <message>
        <source>a supervisor</source>
        <translation>值班长</translation>
    </message>
    <message>
        <source>a trainer</source>
        <translation>培训员</translation>
    </message>
    <message>
        <source>add notes</source>
        <translation>添加备注</translation>
    </message>
    <message>
        <source>an operator</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>assign unit</source>
        <translation>指派力量</translation>
    </message>
    <message>
        <source>assign units</source>
        <translation>指派处置力量</translation>
    </message>
    <message>
        <source>change an incident's status</source>
        <translation>变更事件状态</translation>
    </message>
    <message>
        <source>mutual aid</source>
        <translation>外部增援</translation>
    </message>
    <message>
        <source>no position</source>
        <translation>无定位</translation>
    </message>
    <message>
        <source>nobody is signed in: sign in first</source>
        <translation>无人登录：请先登录</translation>
    </message>
    <message>
        <source>not confirmed by the platform</source>
        <translation>平台未确认</translation>
    </message>
    <message>
        <source>note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>note (optional) — ↑↓ status, Enter set, Esc cancel</source>
        <translation>备注（可选）— ↑↓ 状态，Enter 设置，Esc 取消</translation>
    </message>
    <message>
        <source>note — Enter save, Esc cancel</source>
        <translation>备注 — Enter 保存，Esc 取消</translation>
    </message>
    <message>
        <source>only a supervisor may {action} ({name} is {role})</source>
        <translation>只有值班长可以{action}（{name} 是{role}）</translation>
    </message>
    <message>
        <source>opened {time}, {age} ago</source>
        <translation>{time} 接报，{age}前</translation>
    </message>
    <message>
        <source>select an incident first</source>
        <translation>请先选择事件</translation>
    </message>
    <message>
        <source>status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>this console has no outbox: actions cannot be sent</source>
        <translation>本终端无发件箱：操作无法发送</translation>
    </message>
    <message>
        <source>{id} is closed: it cannot change any more</source>
        <translation>{id} 已办结：不能再变更</translation>
    </message>
    <message>
        <source>{name} is {role}: ask a supervisor</source>
        <translation>{name} 是{role}：请找值班长</translation>
    </message>
    <message>
        <source>{note} — sending</source>
        <translation>{note} — 发送中</translation>
    </message>
    <message>
        <source>↑↓ Space tick plan step</source>
        <translation>↑↓ 空格 勾选预案步骤</translation>
    </message>
    <message>
        <source>↑↓ unit, Enter assign, Esc cancel</source>
        <translation>↑↓ 选择力量，Enter 指派，Esc 取消</translation>
    </message>
</context>
<context>
    <name>incidents</name>
    <message>
        <source> · FILTERED: {shown} OF {total} SHOWN</source>
        <translation> · 已筛选：显示 {shown}/{total}</translation>
    </message>
    <message>
        <source> · {n} INFORMATION</source>
        <translation> · 信息 {n}</translation>
    </message>
    <message>
        <source> · {n} SLA RED</source>
        <translation> · 红灯 {n}</translation>
    </message>
    <message>
        <source>/ search id, place, kind…</source>
        <translation>/ 搜索编号、地点、类型…</translation>
    </message>
    <message>
        <source>/ search · Esc clear filters · S sort · R reverse · ↑↓ select</source>
        <translation>/ 搜索 · Esc 清除筛选 · S 排序 · R 反序 · ↑↓ 选择</translation>
    </message>
    <message>
        <source>Active</source>
        <translation>在办</translation>
    </message>
    <message>
        <source>All districts</source>
        <translation>全部辖区</translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>全部类型</translation>
    </message>
    <message>
        <source>All severities</source>
        <translation>全部级别</translation>
    </message>
    <message>
        <source>Any status</source>
        <translation>任意状态</translation>
    </message>
    <message>
        <source>Critical</source>
        <translation>特重</translation>
    </message>
    <message>
        <source>District</source>
        <translation>辖区</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Major or worse</source>
        <translation>重大及以上</translation>
    </message>
    <message>
        <source>Moderate or worse</source>
        <translation>较大及以上</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>接报</translation>
    </message>
    <message>
        <source>SLA</source>
        <translation>时限</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>{status} (sending)</source>
        <translation>{status}（发送中）</translation>
    </message>
    <message>
        <source>{title} · {n} ACTIVE</source>
        <translation>{title} · 在办 {n}</translation>
    </message>
    <message>
        <source>▼ {n} more below</source>
        <translation>▼ 下方还有 {n} 条</translation>
    </message>
</context>
<context>
    <name>layout</name>
    <message>
        <source>12345 hotline</source>
        <translation type="vanished">12345热线</translation>
    </message>
    <message>
        <source>3D city</source>
        <translation>三维城市</translation>
    </message>
    <message>
        <source>3D city — building safety</source>
        <translation>三维城市 — 建筑安全</translation>
    </message>
    <message>
        <source>3D city — drainage</source>
        <translation>三维城市 — 排水</translation>
    </message>
    <message>
        <source>Air and the 12345 hotline</source>
        <translation type="vanished">空气质量与12345热线</translation>
    </message>
    <message>
        <source>Air quality</source>
        <translation type="vanished">空气质量</translation>
    </message>
    <message>
        <source>Air, hotline, transit and buildings</source>
        <translation>空气、12345热线、公共交通、建筑安全</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Building safety</source>
        <translation type="vanished">建筑安全</translation>
    </message>
    <message>
        <source>City health</source>
        <translation>城市健康度</translation>
    </message>
    <message>
        <source>City map</source>
        <translation>城市地图</translation>
    </message>
    <message>
        <source>City map — incidents and units</source>
        <translation>城市地图 — 事件与处置力量</translation>
    </message>
    <message>
        <source>City vital signs</source>
        <translation>城市体征</translation>
    </message>
    <message>
        <source>Drainage network</source>
        <translation>排水管网</translation>
    </message>
    <message>
        <source>Drainage wells</source>
        <translation type="vanished">排水井</translation>
    </message>
    <message>
        <source>Electric load</source>
        <translation>用电负荷</translation>
    </message>
    <message>
        <source>Gas and heating</source>
        <translation type="vanished">燃气供热</translation>
    </message>
    <message>
        <source>Grid frequency and voltage</source>
        <translation>电网频率与电压</translation>
    </message>
    <message>
        <source>Health by district and category</source>
        <translation>各区分类健康度</translation>
    </message>
    <message>
        <source>Helsinki centre — 2×2 operations wall</source>
        <translation>赫尔辛基市中心 — 2×2 运行大屏</translation>
    </message>
    <message>
        <source>Helsinki centre — 3×3 operations wall</source>
        <translation>赫尔辛基市中心 — 3×3 运行大屏</translation>
    </message>
    <message>
        <source>Helsinki centre — city operations</source>
        <translation>赫尔辛基市中心 — 城市运行</translation>
    </message>
    <message>
        <source>Helsinki centre — single screen</source>
        <translation>赫尔辛基市中心 — 单屏</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Kaartinkaupunki</source>
        <translation>Kaartinkaupunki</translation>
    </message>
    <message>
        <source>Kallio</source>
        <translation>Kallio</translation>
    </message>
    <message>
        <source>Kamppi</source>
        <translation>Kamppi</translation>
    </message>
    <message>
        <source>Kluuvi</source>
        <translation>Kluuvi</translation>
    </message>
    <message>
        <source>Kruununhaka</source>
        <translation>Kruununhaka</translation>
    </message>
    <message>
        <source>Open incidents</source>
        <translation>未结事件</translation>
    </message>
    <message>
        <source>Power</source>
        <translation type="vanished">电力</translation>
    </message>
    <message>
        <source>Power, water and heat</source>
        <translation type="vanished">电力、供水与供热</translation>
    </message>
    <message>
        <source>Power, water, gas and heating</source>
        <translation>电力、供水、燃气供热</translation>
    </message>
    <message>
        <source>Public warnings</source>
        <translation>公众预警</translation>
    </message>
    <message>
        <source>Punavuori</source>
        <translation>Punavuori</translation>
    </message>
    <message>
        <source>Rain</source>
        <translation>降雨</translation>
    </message>
    <message>
        <source>Rain and drainage</source>
        <translation>降雨与排水</translation>
    </message>
    <message>
        <source>Rain and drainage well levels</source>
        <translation>降雨与排水井水位</translation>
    </message>
    <message>
        <source>Rain and wind</source>
        <translation>降雨与风力</translation>
    </message>
    <message>
        <source>Rain, drainage and traffic</source>
        <translation>降雨、排水与交通</translation>
    </message>
    <message>
        <source>Rainstorm impact</source>
        <translation>暴雨影响推演</translation>
    </message>
    <message>
        <source>Selected incident</source>
        <translation>选中事件</translation>
    </message>
    <message>
        <source>Stormwater pumping</source>
        <translation>雨水泵站</translation>
    </message>
    <message>
        <source>Supervisor workstation</source>
        <translation>值班长工作站</translation>
    </message>
    <message>
        <source>Temperature and humidity</source>
        <translation>温度与湿度</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间轴</translation>
    </message>
    <message>
        <source>Traffic and transit</source>
        <translation type="vanished">交通与公交</translation>
    </message>
    <message>
        <source>Traffic congestion</source>
        <translation>交通拥堵</translation>
    </message>
    <message>
        <source>Traffic speed</source>
        <translation>路段车速</translation>
    </message>
    <message>
        <source>Trainer desk</source>
        <translation>培训台</translation>
    </message>
    <message>
        <source>Transit</source>
        <translation type="vanished">公共交通</translation>
    </message>
    <message>
        <source>Water supply</source>
        <translation type="vanished">供水</translation>
    </message>
    <message>
        <source>Weather</source>
        <translation type="vanished">气象</translation>
    </message>
    <message>
        <source>by-district</source>
        <translation>分区</translation>
    </message>
    <message>
        <source>drainage</source>
        <translation>排水</translation>
    </message>
    <message>
        <source>frequency</source>
        <translation>频率</translation>
    </message>
    <message>
        <source>health</source>
        <translation>健康度</translation>
    </message>
    <message>
        <source>incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>kaartinkaupunki</source>
        <translation>Kaartinkaupunki</translation>
    </message>
    <message>
        <source>kallio</source>
        <translation>Kallio</translation>
    </message>
    <message>
        <source>kamppi</source>
        <translation>Kamppi</translation>
    </message>
    <message>
        <source>kluuvi</source>
        <translation>Kluuvi</translation>
    </message>
    <message>
        <source>kruununhaka</source>
        <translation>Kruununhaka</translation>
    </message>
    <message>
        <source>overview</source>
        <translation>总览</translation>
    </message>
    <message>
        <source>people</source>
        <translation>民生</translation>
    </message>
    <message>
        <source>power</source>
        <translation>电力</translation>
    </message>
    <message>
        <source>pumping</source>
        <translation>泵站</translation>
    </message>
    <message>
        <source>punavuori</source>
        <translation>Punavuori</translation>
    </message>
    <message>
        <source>rain</source>
        <translation>降雨</translation>
    </message>
    <message>
        <source>speed</source>
        <translation>车速</translation>
    </message>
    <message>
        <source>temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>traffic</source>
        <translation>交通</translation>
    </message>
    <message>
        <source>utilities</source>
        <translation>公用设施</translation>
    </message>
    <message>
        <source>vitals</source>
        <translation>体征</translation>
    </message>
    <message>
        <source>weather</source>
        <translation>气象</translation>
    </message>
    <message>
        <source>{city} — city operations</source>
        <translation>{city} — 城市运行</translation>
    </message>
</context>
<context>
    <name>map</name>
    <message>
        <source>Buildings</source>
        <translation>建筑</translation>
    </message>
    <message>
        <source>City map</source>
        <translation>城市地图</translation>
    </message>
    <message>
        <source>Heat</source>
        <translation>热力</translation>
    </message>
    <message>
        <source>Heat · {window}</source>
        <translation>热力 · {window}</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Labels</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>No map data</source>
        <translation>无地图数据</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>处置力量</translation>
    </message>
    <message>
        <source>Waiting for map data…</source>
        <translation>等待地图数据…</translation>
    </message>
    <message>
        <source>{active} active · {new} new</source>
        <translation>在办 {active} · 新增 {new}</translation>
    </message>
</context>
<context>
    <name>rain</name>
    <message>
        <source>Alarm came</source>
        <translation>实际告警</translation>
    </message>
    <message>
        <source>Alarm in</source>
        <translation>距告警</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>告警数</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>First alarm in</source>
        <translation>最早告警</translation>
    </message>
    <message>
        <source>Indicator</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>No history to learn from: this console has no cache.</source>
        <translation>无历史数据可学习：本控制台没有缓存。</translation>
    </message>
    <message>
        <source>Now</source>
        <translation>当前</translation>
    </message>
    <message>
        <source>Peak</source>
        <translation>预计峰值</translation>
    </message>
    <message>
        <source>Peak came</source>
        <translation>实际峰值</translation>
    </message>
    <message>
        <source>Plans that apply</source>
        <translation>适用预案</translation>
    </message>
    <message>
        <source>Rain of</source>
        <translation>降雨</translation>
    </message>
    <message>
        <source>Rainstorm impact</source>
        <translation>暴雨影响推演</translation>
    </message>
    <message>
        <source>Risk</source>
        <translation>风险</translation>
    </message>
    <message>
        <source>Run scenario</source>
        <translation>推演</translation>
    </message>
    <message>
        <source>Set the rain and run the scenario.</source>
        <translation>设定降雨后开始推演。</translation>
    </message>
    <message>
        <source>Warning in</source>
        <translation>距预警</translation>
    </message>
    <message>
        <source>alarm limit expected</source>
        <translation>预计达告警限值</translation>
    </message>
    <message>
        <source>for</source>
        <translation>持续</translation>
    </message>
    <message>
        <source>learning each sensor's response to rain…</source>
        <translation>正在学习各传感器对降雨的响应…</translation>
    </message>
    <message>
        <source>no limit expected</source>
        <translation>预计不超限</translation>
    </message>
    <message>
        <source>none: no limit expected</source>
        <translation>无：预计不超限</translation>
    </message>
    <message>
        <source>starting in</source>
        <translation>开始于</translation>
    </message>
    <message>
        <source>warning limit expected</source>
        <translation>预计达预警限值</translation>
    </message>
    <message>
        <source>{mm} mm/h for {h} h</source>
        <translation>{mm} mm/h 持续 {h} 小时</translation>
    </message>
    <message>
        <source>{n} indicators modelled from their own history ({skipped} left out), {alarms} expected at their alarm limit · {s:.1f} s</source>
        <translation>{n} 个指标按其历史响应建模（{skipped} 个未纳入），预计 {alarms} 个达到告警限值 · {s:.1f} 秒</translation>
    </message>
</context>
<context>
    <name>report</name>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Acknowledged by</source>
        <translation>确认人</translation>
    </message>
    <message>
        <source>After-action report</source>
        <translation>事后复盘报告</translation>
    </message>
    <message>
        <source>Alarm</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Alarm statistics</source>
        <translation>报警统计</translation>
    </message>
    <message>
        <source>Alarm statistics: alarms by priority, time to acknowledge, who acknowledged them.</source>
        <translation>报警统计：按优先级的报警数、确认用时及确认人。</translation>
    </message>
    <message>
        <source>Alarm system performance</source>
        <translation>告警系统绩效</translation>
    </message>
    <message>
        <source>Alarm system performance (EEMUA 191 / ISA-18.2)</source>
        <translation>告警系统绩效（EEMUA 191 / ISA-18.2）</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Alarms acknowledged</source>
        <translation>确认的报警</translation>
    </message>
    <message>
        <source>Alarms per operator per 10 min ({n} operators)</source>
        <translation>每名值班员每 10 分钟告警数（{n} 名值班员）</translation>
    </message>
    <message>
        <source>Alarms raised between {start} and {end}, by the priority they were raised with. Time to acknowledge runs from the alarm to its acknowledgement; p90: 90 % were acknowledged within it.</source>
        <translation>{start} 至 {end} 之间产生的报警，按产生时的优先级统计。确认用时从报警产生到被确认；p90：90% 的报警在此时间内得到确认。</translation>
    </message>
    <message>
        <source>Alarms standing longer than 24 h</source>
        <translation>持续超过 24 小时的告警</translation>
    </message>
    <message>
        <source>Annotations and bookmarks</source>
        <translation>批注与书签</translation>
    </message>
    <message>
        <source>Annotations and bookmarks: what the trainer noted, in time order.</source>
        <translation>批注与书签：培训员的记录，按时间排序。</translation>
    </message>
    <message>
        <source>Area</source>
        <translation>范围</translation>
    </message>
    <message>
        <source>Assignments</source>
        <translation>指派</translation>
    </message>
    <message>
        <source>By</source>
        <translation>作者</translation>
    </message>
    <message>
        <source>Chattering alarms</source>
        <translation>抖动告警</translation>
    </message>
    <message>
        <source>Chattering: {ids}</source>
        <translation>抖动：{ids}</translation>
    </message>
    <message>
        <source>CityOps Console</source>
        <translation>CityOps 控制台</translation>
    </message>
    <message>
        <source>Code</source>
        <translation>代码</translation>
    </message>
    <message>
        <source>Commented</source>
        <translation>评论</translation>
    </message>
    <message>
        <source>DRILL</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>DRILL: {title}. Drill incidents: {incidents}; drill alarms: {alarms}. They are marked DRILL wherever they appear and never reached the live city.</source>
        <translation>演练：{title}。演练事件：{incidents}；演练报警：{alarms}。它们在所有位置都标为演练，从未进入实时城市系统。</translation>
    </message>
    <message>
        <source>Dark bar: median; light bar: p90; tick: the longest.</source>
        <translation>深色条：中位数；浅色条：p90；竖线：最长。</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Drill</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>Early warnings: that came true · median lead before the alarm</source>
        <translation>预警：应验数 · 告警前提前量中位数</translation>
    </message>
    <message>
        <source>Escalated</source>
        <translation>已升级</translation>
    </message>
    <message>
        <source>Figure</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Fleeting alarms (back within a minute)</source>
        <translation>瞬时告警（一分钟内恢复）</translation>
    </message>
    <message>
        <source>Floods</source>
        <translation>告警泛滥</translation>
    </message>
    <message>
        <source>Floods: {floods}</source>
        <translation>泛滥：{floods}</translation>
    </message>
    <message>
        <source>Handovers</source>
        <translation>交班</translation>
    </message>
    <message>
        <source>In this report</source>
        <translation>本报告内容</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Incident timelines</source>
        <translation>事件时间线</translation>
    </message>
    <message>
        <source>Incident timelines: each incident's steps, who took them and how long they took.</source>
        <translation>事件时间线：每个事件的各个步骤、执行人及耗时。</translation>
    </message>
    <message>
        <source>Incidents opened in the period or still active at its start. Step times are the wall's service-level timers: dispatch from reported to dispatched, on scene from dispatched to on scene, resolve from on scene to resolved. ! over the amber target, !! over the red target (targets by severity); ⟳ still under way at the end.</source>
        <translation>本时段内新建或在时段开始时仍在处理的事件。步骤用时即大屏上的服务时限计时：派遣从上报到派遣，到场从派遣到到场，处置从到场到已处置。! 超过黄色目标，!! 超过红色目标（目标按严重程度而定）；⟳ 表示结束时仍在进行。</translation>
    </message>
    <message>
        <source>Indicator</source>
        <translation>指标</translation>
    </message>
    <message>
        <source>Indicators with the most alarms</source>
        <translation>报警最多的指标</translation>
    </message>
    <message>
        <source>Key measurements</source>
        <translation>关键测量</translation>
    </message>
    <message>
        <source>Key measurements: the readings behind the alarms, with limits and alarm times.</source>
        <translation>关键测量：报警背后的读数，以及限值和报警时间。</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Longest</source>
        <translation>最长</translation>
    </message>
    <message>
        <source>Median</source>
        <translation>中位数</translation>
    </message>
    <message>
        <source>Most alarms in any 10 minutes</source>
        <translation>任意 10 分钟内最多告警数</translation>
    </message>
    <message>
        <source>No alarm was raised in this period.</source>
        <translation>本时段内没有产生报警。</translation>
    </message>
    <message>
        <source>No alarm was raised in this period: nothing to measure.</source>
        <translation>此期间未产生告警：无可统计。</translation>
    </message>
    <message>
        <source>No annotations or bookmarks were made on this recording.</source>
        <translation>本录制没有批注或书签。</translation>
    </message>
    <message>
        <source>No incident was opened or active in this period.</source>
        <translation>本时段内没有新建或处理中的事件。</translation>
    </message>
    <message>
        <source>No operator action was recorded in this period.</source>
        <translation>本时段内没有记录到操作员操作。</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Opened</source>
        <translation>新建</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>操作员</translation>
    </message>
    <message>
        <source>Operators' actions</source>
        <translation>操作员操作</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>时段</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>产生</translation>
    </message>
    <message>
        <source>Readings over the period (per bucket, lowest to highest: short spikes stay visible), dashed lines at the warning and alarm limits, ▼ where an alarm was raised, numbered marks at the annotations and bookmarks listed on the last page.</source>
        <translation>本时段内的读数（每个区间从最低到最高，短时尖峰仍可见），虚线为警告和报警限值，▼ 为报警产生处，编号标记对应最后一页列出的批注和书签。</translation>
    </message>
    <message>
        <source>Recorded from</source>
        <translation>录制来源</translation>
    </message>
    <message>
        <source>Recording made</source>
        <translation>录制时间</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <source>Shelved</source>
        <translation>已搁置</translation>
    </message>
    <message>
        <source>Signed in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Signed out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Status at the end</source>
        <translation>结束时状态</translation>
    </message>
    <message>
        <source>Status changes</source>
        <translation>状态变更</translation>
    </message>
    <message>
        <source>Targets: about 1 alarm per operator per 10 minutes; a flood is {n} or more in 10 minutes; no chattering, fleeting or standing alarms; priorities about 80 / 15 / 5 % low / medium / high.</source>
        <translation>目标：每名值班员每 10 分钟约 1 个告警；10 分钟内 {n} 个及以上为泛滥；无抖动、瞬时或长期告警；优先级低 / 中 / 高约 80 / 15 / 5 %。</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>内容</translation>
    </message>
    <message>
        <source>The recording holds no readings to chart for this period.</source>
        <translation>录制中没有本时段可绘制的读数。</translation>
    </message>
    <message>
        <source>The ten most frequent alarms</source>
        <translation>最频繁的十个告警</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Time in alarm</source>
        <translation>报警持续时间</translation>
    </message>
    <message>
        <source>Time in flood</source>
        <translation>泛滥持续时间</translation>
    </message>
    <message>
        <source>Time to acknowledge by priority</source>
        <translation>各优先级的确认用时</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <source>Times</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Total</source>
        <translation>合计</translation>
    </message>
    <message>
        <source>Unacknowledged at the end</source>
        <translation>结束时未确认</translation>
    </message>
    <message>
        <source>Unshelved</source>
        <translation>取消搁置</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <source>Warnings approved</source>
        <translation>预警批准</translation>
    </message>
    <message>
        <source>Warnings drafted</source>
        <translation>预警起草</translation>
    </message>
    <message>
        <source>a console's local cache</source>
        <translation>控制台本地缓存</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>acknowledged ({share} %)</source>
        <translation>已确认（{share}%）</translation>
    </message>
    <message>
        <source>alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>alarms raised</source>
        <translation>产生的报警</translation>
    </message>
    <message>
        <source>alarms raised: {n}</source>
        <translation>产生报警：{n}</translation>
    </message>
    <message>
        <source>annotation</source>
        <translation>批注</translation>
    </message>
    <message>
        <source>bookmark</source>
        <translation>书签</translation>
    </message>
    <message>
        <source>carried over from before</source>
        <translation>从之前延续</translation>
    </message>
    <message>
        <source>incidents opened</source>
        <translation>新建事件</translation>
    </message>
    <message>
        <source>local time, {zone}; durations as m:ss, or 1 h 05 above an hour</source>
        <translation>本地时间，{zone}；时长格式为 分:秒，超过一小时为 1 h 05</translation>
    </message>
    <message>
        <source>median time to acknowledge</source>
        <translation>确认用时中位数</translation>
    </message>
    <message>
        <source>median {median} · p90 {p90} · longest {max}</source>
        <translation>中位数 {median} · p90 {p90} · 最长 {max}</translation>
    </message>
    <message>
        <source>operators' actions</source>
        <translation>操作员操作</translation>
    </message>
    <message>
        <source>p90</source>
        <translation>p90</translation>
    </message>
    <message>
        <source>page {n}</source>
        <translation>第 {n} 页</translation>
    </message>
    <message>
        <source>page {n} of {total}</source>
        <translation>第 {n} 页，共 {total} 页</translation>
    </message>
    <message>
        <source>still open at the end</source>
        <translation>结束时仍未关闭</translation>
    </message>
    <message>
        <source>time in alarm: {time}</source>
        <translation>报警持续时间：{time}</translation>
    </message>
    <message>
        <source>unacknowledged at the end</source>
        <translation>结束时未确认</translation>
    </message>
    <message>
        <source>warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <source>whole city</source>
        <translation>全市</translation>
    </message>
    <message>
        <source>{start}: {size} alarms over {span}</source>
        <translation>{start}：{span} 内 {size} 个告警</translation>
    </message>
    <message>
        <source>{tier} priority: share (target {target} %)</source>
        <translation>{tier} 优先级：占比（目标 {target} %）</translation>
    </message>
    <message>
        <source>{title} (continued)</source>
        <translation>{title}（续）</translation>
    </message>
    <message>
        <source>◀ began before the period</source>
        <translation>◀ 始于时段之前</translation>
    </message>
</context>
<context>
    <name>scene</name>
    <message>
        <source>3D city</source>
        <translation>三维城市</translation>
    </message>
    <message>
        <source>3D scene failed: {why}</source>
        <translation>三维场景加载失败：{why}</translation>
    </message>
    <message>
        <source>3D scene unavailable: no OpenGL on this machine (EGL or OSMesa)</source>
        <translation>三维场景不可用：本机没有 OpenGL（EGL 或 OSMesa）</translation>
    </message>
    <message>
        <source>Building safety</source>
        <translation>建筑安全</translation>
    </message>
    <message>
        <source>Built</source>
        <translation>建成年份</translation>
    </message>
    <message>
        <source>District</source>
        <translation>辖区</translation>
    </message>
    <message>
        <source>Esc closes · double-click flies there</source>
        <translation>Esc 关闭 · 双击飞至该建筑</translation>
    </message>
    <message>
        <source>Height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>LINKED INDICATORS</source>
        <translation>关联指标</translation>
    </message>
    <message>
        <source>Levels</source>
        <translation>层数</translation>
    </message>
    <message>
        <source>Loading 3D city… {percent} %</source>
        <translation>正在加载三维城市… {percent} %</translation>
    </message>
    <message>
        <source>No buildings in the reference data yet</source>
        <translation>基础数据中尚无建筑</translation>
    </message>
    <message>
        <source>No district {district} in the reference data</source>
        <translation>基础数据中没有辖区 {district}</translation>
    </message>
    <message>
        <source>No indicator matches {pattern}</source>
        <translation>没有与 {pattern} 匹配的指标</translation>
    </message>
    <message>
        <source>No sensors at this building</source>
        <translation>该建筑无传感器</translation>
    </message>
    <message>
        <source>Rain scenario {what} · expected</source>
        <translation>降雨推演 {what} · 预计</translation>
    </message>
    <message>
        <source>Sensors</source>
        <translation>传感器</translation>
    </message>
    <message>
        <source>TOUR PAUSED · alarm active</source>
        <translation>巡游暂停 · 有未确认告警</translation>
    </message>
    <message>
        <source>TOUR PAUSED · resumes in {seconds} s</source>
        <translation>巡游暂停 · {seconds} 秒后继续</translation>
    </message>
    <message>
        <source>TOUR {n}/{count}</source>
        <translation>巡游 {n}/{count}</translation>
    </message>
    <message>
        <source>Use</source>
        <translation>用途</translation>
    </message>
    <message>
        <source>Whole city</source>
        <translation>全市</translation>
    </message>
    <message>
        <source>alert open or sensor alarm</source>
        <translation>预警在办或传感器告警</translation>
    </message>
    <message>
        <source>buildings at risk: {count}</source>
        <translation>风险建筑：{count}</translation>
    </message>
    <message>
        <source>buildings: {n}</source>
        <translation>建筑：{n}</translation>
    </message>
    <message>
        <source>height</source>
        <translation>高度</translation>
    </message>
    <message>
        <source>left out: {n} ({why})</source>
        <translation>未显示：{n}（{why}）</translation>
    </message>
    <message>
        <source>no alert</source>
        <translation>无预警</translation>
    </message>
    <message>
        <source>no data</source>
        <translation>无数据</translation>
    </message>
    <message>
        <source>not modelled</source>
        <translation>未建模</translation>
    </message>
    <message>
        <source>open incidents: {count}</source>
        <translation>在办事件：{count}</translation>
    </message>
    <message>
        <source>rain scenario: {what}</source>
        <translation>降雨推演：{what}</translation>
    </message>
    <message>
        <source>sensor warning</source>
        <translation>传感器预警</translation>
    </message>
    <message>
        <source>tiles shown: {n}</source>
        <translation>显示瓦片：{n}</translation>
    </message>
    <message>
        <source>triangles: {n:,}</source>
        <translation>三角形：{n:,}</translation>
    </message>
</context>
<context>
    <name>screens</name>
    <message>
        <source>all as ordinary windows</source>
        <translation>全部以普通窗口显示</translation>
    </message>
    <message>
        <source>layout {layout} has {n} screens, each full-screen on its own screen</source>
        <translation>布局 {layout} 有 {n} 块屏幕，各自全屏显示</translation>
    </message>
    <message>
        <source>layout {layout} has {n} screens, this machine has {m}: {shown}{rest}</source>
        <translation>布局 {layout} 有 {n} 块屏幕，本机有 {m} 块：{shown}{rest}</translation>
    </message>
    <message>
        <source>the other as an ordinary window</source>
        <translation>另一块以普通窗口显示</translation>
    </message>
    <message>
        <source>the other {n} as ordinary windows</source>
        <translation>其余 {n} 块以普通窗口显示</translation>
    </message>
    <message>
        <source>{name} full-screen on {screen}</source>
        <translation>{name} 全屏显示于 {screen}</translation>
    </message>
</context>
<context>
    <name>signin</name>
    <message>
        <source>Name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in to the platform</source>
        <translation>登录平台</translation>
    </message>
    <message>
        <source>login name (empty: the one configured for this console)</source>
        <translation>登录名（留空：使用本控制台配置的登录名）</translation>
    </message>
    <message>
        <source>password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>{name} handed this console over: the next person, sign in</source>
        <translation>{name} 已交班：请下一位登录</translation>
    </message>
    <message>
        <source>{platform} · Tab: next field · Enter: sign in · your password is not stored</source>
        <translation>{platform} · Tab：下一栏 · Enter：登录 · 密码不会被保存</translation>
    </message>
</context>
<context>
    <name>sla</name>
    <message>
        <source>AMBER</source>
        <translation>黄灯</translation>
    </message>
    <message>
        <source>RED</source>
        <translation>红灯</translation>
    </message>
    <message>
        <source>amber at {limit}</source>
        <translation>{limit}亮黄灯</translation>
    </message>
    <message>
        <source>information</source>
        <translation>信息</translation>
    </message>
    <message>
        <source>on time</source>
        <translation>按时</translation>
    </message>
    <message>
        <source>over {limit}</source>
        <translation>超过{limit}</translation>
    </message>
    <message>
        <source>red at {limit}</source>
        <translation>{limit}亮红灯</translation>
    </message>
    <message>
        <source>{step} {time} left{late}</source>
        <translation>{step} 剩余 {time}{late}</translation>
    </message>
    <message>
        <source>{step} {time} overdue{late}</source>
        <translation>{step} 超时 {time}{late}</translation>
    </message>
</context>
<context>
    <name>status</name>
    <message>
        <source>ALARM</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>NO DATA</source>
        <translation>无数据</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>STALE</source>
        <translation>超时</translation>
    </message>
    <message>
        <source>UNACK</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>WARNING</source>
        <translation>预警</translation>
    </message>
</context>
<context>
    <name>tiles</name>
    <message>
        <source> · PAGE {page} OF {pages}</source>
        <translation> · 第 {page}/{pages} 页</translation>
    </message>
    <message>
        <source>Vital signs</source>
        <translation>城市体征</translation>
    </message>
    <message>
        <source>Waiting for data…</source>
        <translation>等待数据…</translation>
    </message>
    <message>
        <source>city-wide</source>
        <translation type="vanished">全市</translation>
    </message>
    <message>
        <source>{age} ago</source>
        <translation>{age}前</translation>
    </message>
    <message>
        <source>{n} indicators</source>
        <translation>共 {n} 项指标</translation>
    </message>
    <message>
        <source>{n} others</source>
        <translation>其余 {n} 项</translation>
    </message>
</context>
<context>
    <name>timeline</name>
    <message>
        <source>+{elapsed} of {total}</source>
        <translation>+{elapsed} / 共 {total}</translation>
    </message>
    <message>
        <source>10 s</source>
        <translation>10秒</translation>
    </message>
    <message>
        <source>ACTIONS</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>ALARMS</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>添加批注</translation>
    </message>
    <message>
        <source>Add the annotation at the playhead</source>
        <translation>在播放位置添加批注</translation>
    </message>
    <message>
        <source>Annotation for the trainees at the playhead…</source>
        <translation>在播放位置给学员写批注…</translation>
    </message>
    <message>
        <source>Bookmark the playhead (B)</source>
        <translation>在播放位置加书签（B）</translation>
    </message>
    <message>
        <source>Faster (] or +)</source>
        <translation>加速（] 或 +）</translation>
    </message>
    <message>
        <source>INCIDENTS</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>事件</translation>
    </message>
    <message>
        <source>Live: no recording loaded</source>
        <translation>实时：未载入录制</translation>
    </message>
    <message>
        <source>Loop 5 min from the playhead, or stop looping (L); shift-drag on the strip to choose</source>
        <translation>从播放位置起循环5分钟，或停止循环（L）；在时间轴上按住 Shift 拖动可自选区间</translation>
    </message>
    <message>
        <source>NOTES</source>
        <translation>标注</translation>
    </message>
    <message>
        <source>Next incident (Ctrl+→)</source>
        <translation>下一个事件（Ctrl+→）</translation>
    </message>
    <message>
        <source>Play or pause (Space)</source>
        <translation>播放或暂停（空格）</translation>
    </message>
    <message>
        <source>Previous incident (Ctrl+←)</source>
        <translation>上一个事件（Ctrl+←）</translation>
    </message>
    <message>
        <source>Replay at {speed} real time</source>
        <translation>以实际速度的 {speed} 回放</translation>
    </message>
    <message>
        <source>Slower ([ or -)</source>
        <translation>减速（[ 或 -）</translation>
    </message>
    <message>
        <source>Space play/pause · ←→ 10 s · Shift+←→ 1 min · Ctrl+←→ incident · Alt+←→ alarm · [ ] speed · Home/End · L loop 5 min · B bookmark</source>
        <translation>空格 播放/暂停 · ←→ 10秒 · Shift+←→ 1分钟 · Ctrl+←→ 事件 · Alt+←→ 告警 · [ ] 速度 · Home/End 首/尾 · L 循环5分钟 · B 书签</translation>
    </message>
    <message>
        <source>Step back 10 s (←; Shift+← 1 min)</source>
        <translation>后退10秒（←；Shift+← 1分钟）</translation>
    </message>
    <message>
        <source>Step forward 10 s (→; Shift+→ 1 min)</source>
        <translation>前进10秒（→；Shift+→ 1分钟）</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间轴</translation>
    </message>
    <message>
        <source>an annotation needs some text</source>
        <translation>批注不能为空</translation>
    </message>
    <message>
        <source>going to {time}: preparing, {share} % done</source>
        <translation>正在跳转到 {time}：准备中，已完成 {share} %</translation>
    </message>
    <message>
        <source>no earlier incident</source>
        <translation>前面没有事件了</translation>
    </message>
    <message>
        <source>no later incident</source>
        <translation>后面没有事件了</translation>
    </message>
    <message>
        <source>peak {n} / {span}</source>
        <translation>峰值 {n} / {span}</translation>
    </message>
    <message>
        <source>preparing the replay: {share} %</source>
        <translation>正在准备回放：{share} %</translation>
    </message>
    <message>
        <source>… and {n} more</source>
        <translation>… 另有 {n} 项</translation>
    </message>
    <message>
        <source>⚑ Bookmark</source>
        <translation>⚑ 书签</translation>
    </message>
    <message>
        <source>⚑ bookmark {time} {label}</source>
        <translation>⚑ 书签 {time} {label}</translation>
    </message>
    <message>
        <source>✎ {author}: {text}</source>
        <translation>✎ {author}：{text}</translation>
    </message>
    <message>
        <source>⟲ Loop</source>
        <translation>⟲ 循环</translation>
    </message>
    <message>
        <source>⟲ Loop {a}–{b}</source>
        <translation>⟲ 循环 {a}–{b}</translation>
    </message>
</context>
<context>
    <name>trend</name>
    <message>
        <source>%a %d</source>
        <translation>%m-%d</translation>
    </message>
    <message>
        <source>%b</source>
        <translation>%m月</translation>
    </message>
    <message>
        <source>1-h</source>
        <translation>1小时</translation>
    </message>
    <message>
        <source>1-min</source>
        <translation>1分钟</translation>
    </message>
    <message>
        <source>ALARM ≤</source>
        <translation>告警 ≤</translation>
    </message>
    <message>
        <source>ALARM ≥</source>
        <translation>告警 ≥</translation>
    </message>
    <message>
        <source>CLR</source>
        <translation>清除</translation>
    </message>
    <message>
        <source>Follow now; looking back returns here after {seconds} s idle</source>
        <translation>跟随当前时间；回看时闲置 {seconds} 秒后自动返回</translation>
    </message>
    <message>
        <source>RTN</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Trend</source>
        <translation>趋势</translation>
    </message>
    <message>
        <source>WARN ≤</source>
        <translation>预警 ≤</translation>
    </message>
    <message>
        <source>WARN ≥</source>
        <translation>预警 ≥</translation>
    </message>
    <message>
        <source>forecast, 80 % band</source>
        <translation>预测，80% 区间</translation>
    </message>
    <message>
        <source>history unavailable: {error}</source>
        <translation>历史数据不可用：{error}</translation>
    </message>
    <message>
        <source>loading history…</source>
        <translation>正在加载历史数据…</translation>
    </message>
    <message>
        <source>not drawn (other unit): {names}</source>
        <translation>未绘制（单位不同）：{names}</translation>
    </message>
    <message>
        <source>older data: {level} mean, band = min–max</source>
        <translation>较早数据：{level}均值，色带为最小–最大</translation>
    </message>
    <message>
        <source>▶ BACK TO LIVE</source>
        <translation>▶ 返回实时</translation>
    </message>
    <message>
        <source>▶ BACK TO NOW</source>
        <translation>▶ 回到当前</translation>
    </message>
    <message>
        <source>● FOLLOWING</source>
        <translation>● 跟随</translation>
    </message>
    <message>
        <source>● LIVE</source>
        <translation>● 实时</translation>
    </message>
</context>
<context>
    <name>units</name>
    <message>
        <source>{n} d</source>
        <translation>{n}天</translation>
    </message>
    <message>
        <source>{n} h</source>
        <translation>{n}小时</translation>
    </message>
    <message>
        <source>{n} min</source>
        <translation>{n}分钟</translation>
    </message>
    <message>
        <source>{n} s</source>
        <translation>{n}秒</translation>
    </message>
</context>
<context>
    <name>wall</name>
    <message>
        <source>Page {n}</source>
        <translation>第 {n} 页</translation>
    </message>
    <message>
        <source>layout error — still showing the last good layout: {error}</source>
        <translation>布局错误 — 仍显示上一个有效布局：{error}</translation>
    </message>
</context>
<context>
    <name>warnings</name>
    <message>
        <source>+{n} more</source>
        <translation>另有 {n} 条</translation>
    </message>
    <message>
        <source>Approve and publish</source>
        <translation>批准并发布</translation>
    </message>
    <message>
        <source>Approved: the platform publishes it to every wall</source>
        <translation>已批准：平台将其发布到每面大屏</translation>
    </message>
    <message>
        <source>Awaiting a second supervisor</source>
        <translation>待另一名值班长批准</translation>
    </message>
    <message>
        <source>Cancellation</source>
        <translation>解除</translation>
    </message>
    <message>
        <source>Certainty</source>
        <translation>确定程度</translation>
    </message>
    <message>
        <source>Choose the warning in force to change</source>
        <translation>请选择要变更的生效预警</translation>
    </message>
    <message>
        <source>Cold wave warning</source>
        <translation>寒潮预警</translation>
    </message>
    <message>
        <source>Districts</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Draft cancellation</source>
        <translation>起草解除</translation>
    </message>
    <message>
        <source>Draft update</source>
        <translation>起草更新</translation>
    </message>
    <message>
        <source>Draft warning</source>
        <translation>起草预警</translation>
    </message>
    <message>
        <source>Drafted: a second supervisor approves it before it is published</source>
        <translation>已起草：须另一名值班长批准后发布</translation>
    </message>
    <message>
        <source>Expected</source>
        <translation>预计</translation>
    </message>
    <message>
        <source>Extreme</source>
        <translation>特别严重</translation>
    </message>
    <message>
        <source>Flood warning</source>
        <translation>洪水预警</translation>
    </message>
    <message>
        <source>Future</source>
        <translation>将来</translation>
    </message>
    <message>
        <source>Gale warning</source>
        <translation>大风预警</translation>
    </message>
    <message>
        <source>Gas leak warning</source>
        <translation>燃气泄漏预警</translation>
    </message>
    <message>
        <source>Hazard</source>
        <translation>灾害</translation>
    </message>
    <message>
        <source>Hazardous materials warning</source>
        <translation>危险化学品预警</translation>
    </message>
    <message>
        <source>Heat warning</source>
        <translation>高温预警</translation>
    </message>
    <message>
        <source>Immediate</source>
        <translation>立即</translation>
    </message>
    <message>
        <source>In force</source>
        <translation>生效中</translation>
    </message>
    <message>
        <source>Instruction (Chinese)</source>
        <translation>防御指引(中文)</translation>
    </message>
    <message>
        <source>Instruction (English)</source>
        <translation>防御指引(英文)</translation>
    </message>
    <message>
        <source>Likely</source>
        <translation>很可能</translation>
    </message>
    <message>
        <source>Minor</source>
        <translation>轻微</translation>
    </message>
    <message>
        <source>Moderate</source>
        <translation>较重</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新发布</translation>
    </message>
    <message>
        <source>Not approved: {why}</source>
        <translation>未批准：{why}</translation>
    </message>
    <message>
        <source>Not drafted: {why}</source>
        <translation>未起草：{why}</translation>
    </message>
    <message>
        <source>Observed</source>
        <translation>已观测</translation>
    </message>
    <message>
        <source>Past</source>
        <translation>已过去</translation>
    </message>
    <message>
        <source>Possible</source>
        <translation>可能</translation>
    </message>
    <message>
        <source>Public warnings</source>
        <translation>公众预警</translation>
    </message>
    <message>
        <source>Rainstorm warning</source>
        <translation>暴雨预警</translation>
    </message>
    <message>
        <source>Severe</source>
        <translation>严重</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <source>Stands for (h)</source>
        <translation>持续(小时)</translation>
    </message>
    <message>
        <source>Supervisors draft and approve public warnings</source>
        <translation>公众预警由值班长起草和批准</translation>
    </message>
    <message>
        <source>Typhoon warning</source>
        <translation>台风预警</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Unknown severity</source>
        <translation>严重程度未知</translation>
    </message>
    <message>
        <source>Unlikely</source>
        <translation>不太可能</translation>
    </message>
    <message>
        <source>Update</source>
        <translation>更新</translation>
    </message>
    <message>
        <source>Urban waterlogging warning</source>
        <translation>城市内涝预警</translation>
    </message>
    <message>
        <source>Urgency</source>
        <translation>紧迫程度</translation>
    </message>
    <message>
        <source>WARNING</source>
        <translation>预警</translation>
    </message>
    <message>
        <source>You drafted this warning: a second supervisor must approve it</source>
        <translation>此预警由您起草：须另一名值班长批准</translation>
    </message>
    <message>
        <source>city-wide</source>
        <translation>全市</translation>
    </message>
    <message>
        <source>ddd HH:mm</source>
        <translation>ddd HH:mm</translation>
    </message>
    <message>
        <source>until cancelled</source>
        <translation>直至解除</translation>
    </message>
    <message>
        <source>until {time}</source>
        <translation>至 {time}</translation>
    </message>
    <message>
        <source>{kind}: {event} · {severity} · drafted by {who}</source>
        <translation>{kind}：{event} · {severity} · 起草人 {who}</translation>
    </message>
    <message>
        <source>{severity} · {event} · {places} · {until}</source>
        <translation>{severity} · {event} · {places} · {until}</translation>
    </message>
</context>
<context>
    <name>workstation</name>
    <message>
        <source>&amp;Arrangements</source>
        <translation>布局方案(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>(none saved)</source>
        <translation>（尚未保存）</translation>
    </message>
    <message>
        <source>Arrangements</source>
        <translation>布局方案</translation>
    </message>
    <message>
        <source>CityOps — {layout} — {user} ({role})</source>
        <translation>CityOps — {layout} — {user}（{role}）</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Push to wall</source>
        <translation>推送到大屏</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Saved</source>
        <translation>已保存</translation>
    </message>
    <message>
        <source>Wall {name}:</source>
        <translation>大屏 {name}：</translation>
    </message>
    <message>
        <source>a {role} may not push to the wall</source>
        <translation>{role}无权推送到大屏</translation>
    </message>
    <message>
        <source>arrangement name</source>
        <translation>方案名称</translation>
    </message>
    <message>
        <source>arrangement {name} deleted</source>
        <translation>已删除布局方案 {name}</translation>
    </message>
    <message>
        <source>arrangement {name} no longer fits this layout; save it again</source>
        <translation>布局方案 {name} 已不适用于当前布局，请重新保存</translation>
    </message>
    <message>
        <source>arrangement {name} not deleted: {why}</source>
        <translation>布局方案 {name} 未删除：{why}</translation>
    </message>
    <message>
        <source>arrangement {name} not saved: {path}: {why}</source>
        <translation>布局方案 {name} 未保存：{path}：{why}</translation>
    </message>
    <message>
        <source>arrangement {name} restored</source>
        <translation>已恢复布局方案 {name}</translation>
    </message>
    <message>
        <source>arrangement {name} saved</source>
        <translation>已保存布局方案 {name}</translation>
    </message>
    <message>
        <source>arrangements file {path} is unusable ({why}) and could not be moved aside ({move}); starting with none</source>
        <translation>布局方案文件 {path} 不可用（{why}），且无法移走（{move}）；以空方案启动</translation>
    </message>
    <message>
        <source>arrangements file {path} is unusable ({why}); moved aside to {aside}, starting with none</source>
        <translation>布局方案文件 {path} 不可用（{why}）；已移至 {aside}，以空方案启动</translation>
    </message>
    <message>
        <source>no arrangement named {name!r}</source>
        <translation>没有名为 {name!r} 的布局方案</translation>
    </message>
    <message>
        <source>no arrangement named {name!r} (saved: {names})</source>
        <translation>没有名为 {name!r} 的布局方案（已保存：{names}）</translation>
    </message>
    <message>
        <source>no wall to push to</source>
        <translation>没有可推送的大屏</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>not pushed: this layout names no usable wall</source>
        <translation>未推送：此布局未指定可用的大屏</translation>
    </message>
    <message>
        <source>not pushed: {why}</source>
        <translation>未推送：{why}</translation>
    </message>
    <message>
        <source>the panel to push (the focused one, when one is)</source>
        <translation>要推送的面板（默认为当前焦点面板）</translation>
    </message>
    <message>
        <source>type a name for the arrangement first</source>
        <translation>请先输入布局方案名称</translation>
    </message>
    <message>
        <source>wall layout unusable</source>
        <translation>大屏布局不可用</translation>
    </message>
    <message>
        <source>{panel} pushed to wall {wall}, screen {screen}, page {page}</source>
        <translation>{panel} 已推送到大屏 {wall}，屏幕 {screen}，第 {page} 页</translation>
    </message>
</context>
</TS>
